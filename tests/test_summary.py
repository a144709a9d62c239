"""Alert summaries keep the sentences that carry the decision and the figures; EDGAR form titles get a headline."""

from __future__ import annotations

from watcher.analyze.summary import readable_title, summarize

NOTICE = (
    "工业和信息化部 自然资源部关于下达2024年第一批稀土开采、冶炼分离... 2024-02-06\n工信部联原〔2024〕25号\n"
    "中国稀土集团有限公司、中国北方稀土(集团)高科技股份有限公司，有关省、自治区工业和信息化主管部门、自然资源主管部门：\n"
    "现将2024年第一批稀土开采、冶炼分离总量控制指标下达给你们。有关事项通知如下：\n"
    "一、2024年第一批稀土开采、冶炼分离总量控制指标分别为135000吨、127000吨(两家稀土集团的分解情况见附件1)。\n"
    "二、两家稀土集团要在指标下达后，……于10个工作日内完成指标分解下达，……\n附件：1.2024年第一批稀土开采、冶炼分离总量控制指标分解表"
)
TITLE = "工业和信息化部 自然资源部关于下达2024年第一批稀土开采、冶炼分离总量控制指标的通知"
MATCHED = ["总量控制指标", "下达", "第一批", "冶炼分离", "指标", "稀土"]


def test_the_figures_sentence_is_kept_and_the_addressees_are_not():
    summary = summarize(TITLE, NOTICE, MATCHED)
    assert "135000吨、127000吨" in summary
    assert "中国稀土集团有限公司、中国北方稀土" not in summary and "附件：" not in summary
    assert "2024-02-06" not in summary  # the list row (cut title and date) is the title again


def test_a_text_that_only_repeats_the_title_gives_no_summary():
    assert summarize("Lynas signs offtake", "Lynas signs offtake 2025-10-09", ["offtake"]) == ""


def test_the_summary_fits_its_budget_in_columns():
    long = "。".join(f"第{i}条稀土出口管制措施包括镝和铽的许可证要求" for i in range(40))
    summary = summarize("title", long, ["出口管制", "稀土"], limit=120)
    width = sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in summary)
    assert 0 < width <= 120


def test_edgar_form_titles_take_the_filing_headline():
    text = (
        "Filed: 2025-07-10 AccNo: 0001193125-25-157310 Size: 2 MB\nExhibit 99.1\n"
        "MP Materials Announces Transformational Public-Private Partnership with the Department of Defense\n"
        "LAS VEGAS, July 10, 2025 - MP Materials Corp. today announced ..."
    )
    assert readable_title("8-K - Current report", text) == (
        "8-K: MP Materials Announces Transformational Public-Private Partnership with the Department of Defense"
    )
    assert readable_title("8-K - Current report", "Filed: 2025-07-10 AccNo: 1 Size: 2 MB") == "8-K - Current report"
    assert readable_title("China issues rare earth quota - Reuters", text) == "China issues rare earth quota - Reuters"
