"""English headlines for Chinese titles: the title grammar and glossary on the forms the ministries use, and a
headline from label and facts (never a word-by-word guess) when a word is unknown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from watcher.analyze.analysis import analyze
from watcher.analyze.glossary import glossary
from watcher.analyze.headline import document_references, english_headline

DATA = Path(__file__).parent / "data"
FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def headline(title: str, text: str = "") -> str:
    analysis = analyze(title, text)
    return english_headline(title, analysis.label, analysis.facts).text


# Real titles of each form (MOFCOM and MOFCOM-GACC announcements, MIIT/MNR quota notices, suspensions, State
# Council orders, GACC and MSS statements), from the source snapshots, the demo and the dev sets.
FORMS = [
    (
        "商务部 海关总署公告2025年第18号 公布对部分中重稀土相关物项实施出口管制的决定",
        "MOFCOM and GACC Announcement No. 18 of 2025: export controls on certain items related to medium and "
        "heavy rare earths",
    ),
    (
        "商务部公告2024年第46号 关于加强相关两用物项对美国出口管制的公告",
        "MOFCOM Announcement No. 46 of 2024: stricter export controls on dual-use items to the United States",
    ),
    (
        "商务部 海关总署公告2025年第10号 公布对钨、碲、铋、钼、铟相关物项实施出口管制的决定",
        "MOFCOM and GACC Announcement No. 10 of 2025: export controls on items related to tungsten, tellurium, "
        "bismuth, molybdenum and indium",
    ),
    (
        "商务部 海关总署公告2024年第33号 关于对锑等物项实施出口管制的公告",
        "MOFCOM and GACC Announcement No. 33 of 2024: export controls on antimony and other items",
    ),
    (
        "商务部 海关总署公告2023年第39号 关于优化调整石墨物项临时出口管制措施的公告",
        "MOFCOM and GACC Announcement No. 39 of 2023: adjusted export controls on graphite items",
    ),
    (
        "商务部公告2025第61号 公布对境外相关稀土物项实施出口管制的决定",  # as listed: 2025第61号, without 年
        "MOFCOM Announcement No. 61 of 2025: export controls on overseas rare earth items",
    ),
    (
        "商务部 海关总署公告2025年第58号 公布对锂电池和人造石墨负极材料相关物项实施出口管制的决定",
        "MOFCOM and GACC Announcement No. 58 of 2025: export controls on items related to lithium batteries and "
        "artificial graphite anode materials",
    ),
    (
        "工业和信息化部 自然资源部关于下达2024年第二批稀土开采、冶炼分离总量控制指标的通知",
        "MIIT and MNR: second batch of 2024 total-volume control quotas for rare earth mining and smelting/separation",
    ),
    (
        "自然资源部关于下达2022年度稀土矿钨矿开采总量控制指标（第一批）的通知",
        "MNR: first batch of 2022 total-volume control quotas for rare earth and tungsten mining",
    ),
    (
        "商务部 海关总署公告2025年第70号 公布暂停实施商务部 海关总署公告2025年第55号、56号、57号、58号及"
        "商务部公告2025年第61号、62号的决定",
        "MOFCOM and GACC Announcement No. 70 of 2025: suspends MOFCOM and GACC Announcements No. 55, 56, 57 "
        "and 58 of 2025 and MOFCOM Announcements No. 61 and 62 of 2025",
    ),
    (
        "商务部公告2025年第72号 关于暂停实施商务部公告2024年第46号第二款的公告",
        "MOFCOM Announcement No. 72 of 2025: suspends clause 2 of MOFCOM Announcement No. 46 of 2024",
    ),
    ("国务院令第785号 稀土管理条例", "State Council Order No. 785: Regulations on Rare Earth Management"),
    (
        "中华人民共和国国务院令 第792号 中华人民共和国两用物项出口管制条例",
        "State Council Order No. 792: PRC Regulations on the Export Control of Dual-Use Items",
    ),
    ("海关总署：严厉打击战略矿产走私", "GACC: cracks down on smuggling of strategic minerals"),
    ("海关总署部署开展打击战略矿产走私专项行动", "GACC: launches a campaign against smuggling of strategic minerals"),
    (
        "国家安全部：境外间谍情报机关勾连境内不法分子利用寄递渠道窃取我稀土 - 环球网",
        "MSS: foreign intelligence agencies use postal channels to steal Chinese rare earths",
    ),
    (
        "三部门关于印发《稀土开采和稀土冶炼分离总量调控管理暂行办法》的通知",
        "Three ministries: issues the Interim Measures for the Total-Volume Regulation of Rare Earth Mining and "
        "Smelting/Separation",
    ),
    (
        "商务部公告2025年第1号 关于将28家美国实体列入出口管制管控名单的公告",
        "MOFCOM Announcement No. 1 of 2025: adds 28 US entities to the export control list",
    ),
]


@pytest.mark.parametrize("title, english", FORMS, ids=[title[:24] for title, _ in FORMS])
def test_each_form_of_official_title_reads_as_english(title, english):
    assert headline(title) == english


def test_a_word_the_glossary_lacks_gives_a_headline_from_the_facts_not_a_guess():
    # 牛肉 (beef) is not in the glossary: the document is named, nothing is guessed
    assert headline("商务部公告2025年第20号 关于对原产于美国的进口牛肉反倾销调查的公告") == (
        "MOFCOM Announcement No. 20 of 2025: notice (not translated)"
    )
    # a news title: the parties in English, the amount, the materials
    assert headline("苹果与MP Materials签署5亿美元稀土磁体采购协议") == (
        "Apple and MP Materials: deal · US$500 million · rare earth magnets"
    )
    # easing is not "export controls on": the fallback names the topic, never the claim
    assert headline("中国放宽镓锗等两用物项对美出口") == "Export controls · gallium and germanium"


def test_a_quota_notice_whose_title_has_no_figure_is_still_told_in_english():
    title = "两部委关于下达2023年第二批稀土开采、冶炼分离总量控制指标的通知"
    analysis = analyze(title)
    assert analysis.facts["year"] == 2023 and analysis.facts["batch"] == 2
    assert english_headline(title, "quota", analysis.facts).text == (
        "Two ministries: second batch of 2023 total-volume control quotas for rare earth mining and smelting/separation"
    )


def test_an_english_title_is_its_own_headline():
    assert english_headline("China bans exports of gallium to US", "export_control").how == "title"


def _chinese_titles() -> list[str]:
    titles = set()
    for path in DATA.glob("headlines_*.jsonl"):
        for line in path.read_text("utf-8").splitlines():
            text = json.loads(line).get("text", "") if line.strip() else ""
            if CJK.search(text[:20]) and len(text) <= 80:
                titles.add(text)
    for path in FIXTURES.glob("*/expected.json"):
        expected = json.loads(path.read_text("utf-8"))
        for item in expected.get("items", []) if isinstance(expected, dict) else expected:
            if CJK.search(item.get("title", "")):
                titles.add(item["title"])
    return sorted(titles)


def test_no_headline_shows_chinese_whatever_the_title():
    titles = _chinese_titles()
    assert len(titles) > 80
    for title in titles:
        text = headline(title)
        assert not CJK.search(text), (title, text)
        assert text[:1].isupper() or text[:1].isdigit(), (title, text)


def test_document_references_and_the_glossary_rules():
    assert document_references("商务部公告2024年第46号") == "MOFCOM Announcement No. 46 of 2024"
    assert document_references("第55号公告") == "Announcement No. 55"
    assert document_references("商务部公告2024年第46号 有关") is None  # all of it, or nothing
    words = glossary()
    assert words.phrase("镓锗等两用物项") == "gallium, germanium and other dual-use items"
    assert words.phrase("钨、碲产品") == "tungsten and tellurium products"
    assert words.phrase("稀土矿钨矿开采") == "rare earth and tungsten mining"
    assert words.phrase("进口牛肉") is None
    assert words.issuer("工业和信息化部等七部门") == "MIIT and six other ministries"
    assert words.issuer("深圳海关") == "Shenzhen Customs"
