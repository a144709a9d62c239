"""Normalisation: every variant of a notice must reach the rules in one form, fast."""

from __future__ import annotations

import time

import pytest

from watcher.analyze.textnorm import normalize, normalize_pair


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # pinyin glosses injected by mirrors after some characters (samples/mirror_noise_examples.txt)
        (
            "工業(yè)和信息化部 自然資源部關(guān)于下達(dá)2023年第一批稀土開采、冶煉分離總量控制指標(biāo)的通知",
            "工业和信息化部 自然资源部关于下达2023年第一批稀土开采、冶炼分离总量控制指标的通知",
        ),
        ("分別為120000噸、115000噸(集團(tuán)分解情況見附件1)", "分别为120000吨、115000吨(集团分解情况见附件1)"),
        # full-width digits and punctuation -> half-width
        ("指标为１３５０００吨，", "指标为135000吨,"),
        # bracket variants around document years
        ("工信部联原﹝2022﹞90号", "工信部联原〔2022〕90号"),
        ("工信部联原［2022］90号", "工信部联原〔2022〕90号"),
        # traditional -> simplified, element characters included
        ("將高純度稀土(如鏑、鋱)申報為低價值產品", "将高纯度稀土(如镝、铽)申报为低价值产品"),
        ("鎢、碲、鉍、鉬、銦相關物項", "钨、碲、铋、钼、铟相关物项"),
        # whitespace collapsed, ASCII untouched otherwise
        ("  China   sets\nfirst batch\t", "China sets first batch"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_english_parentheses_and_case_are_kept():
    assert normalize("AUD 400 million ($257.2m) (yes)") == "AUD 400 million ($257.2m) (yes)"
    # a gloss is only stripped right after a Chinese character
    assert normalize("稀土 (REO)") == "稀土 (REO)"


def test_pair_keeps_the_traditional_display_aligned_with_the_simplified_text():
    display, norm = normalize_pair("中國商務部與海關總署聯合發布公告")
    assert norm == "中国商务部与海关总署联合发布公告"
    assert len(display) == len(norm) and display.startswith("中國商務部")


def test_empty():
    assert normalize("") == "" and normalize_pair("") == ("", "")


def test_fast_enough_for_every_change():
    texts = ["兩部委下達2023年第三批稀土開采、冶煉分離總量控制指標", "China expands export controls on rare earths"]
    texts *= 5000
    normalize(texts[0])
    start = time.perf_counter()
    for text in texts:
        normalize(text)
    assert time.perf_counter() - start < 1.0  # ~0.1 s here; generous for a loaded CI machine
