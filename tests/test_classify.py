"""The classifier: each label in English, simplified and traditional Chinese, and the distractors that share words."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.analyze.classify import classify
from watcher.analyze.lexicon import load_lexicon
from watcher.core.errors import ConfigError

CASES = [
    # quota
    ("China sets first batch of 2022 rare earth output quota at 100,800 tonnes", "quota"),
    ("工业和信息化部 自然资源部关于下达2024年第一批稀土开采、冶炼分离总量控制指标的通知", "quota"),
    ("兩部委下達2023年第三批稀土開采、冶煉分離總量控制指標", "quota"),
    ("Congo To Lift Cobalt Export Ban And Introduce Quotas Starting October 16", "quota"),
    ("三部门印发《稀土开采和稀土冶炼分离总量调控管理暂行办法》", "quota"),
    # export_control
    ("China expands export controls on rare earths", "export_control"),
    ("商务部公告2026年第1号 关于加强两用物项对日本出口管制的公告", "export_control"),
    (
        "中國商務部與海關總署聯合發布公告，決定自即日起至2026年11月10日，暫停實施6項涉及稀土出口管制的公告。",
        "export_control",
    ),
    (
        "President Trump Directs Commerce to Initiate Section 232 Investigation of Critical Mineral Imports",
        "export_control",
    ),
    ("China bans export of rare earths processing technologies", "export_control"),
    # enforcement
    ("Hong Kong customs seize antimony amid China's export controls", "enforcement"),
    ("海关查获涉嫌走私出口稀土12.3吨", "enforcement"),
    ("將高純度稀土(如鏑、鋱)申報為低價值產品(如鐵合金、鎳粉)或“焊錫膏”等普通商品，逃避出口管制。", "enforcement"),
    ("Chinese court convicts 27 smugglers for illegally exporting dual-use antimony", "enforcement"),
    # deal
    ("MP Materials Skyrockets 48% as Pentagon Pumps $400M Into Rare Earth Powerhouse", "deal"),
    ("中国稀土集团现代产业链强链固链重点项目启动，总投资约20.5亿元。", "deal"),
    ("Energy Fuels & Astron Form Joint Venture to Develop Donald Rare Earth Project in Australia", "deal"),
    ("澳大利亞政府向Arafura稀土項目提供2億澳元貸款", "deal"),
    # market
    ("Rare-earth prices triple to new records on China export curbs", "market"),
    ("中国限制出口后稀土价格暴涨超210%", "market"),
    ("Neo opens Estonia rare earth plant to cut EU reliance on China", "market"),  # a plant opening, no money
    ("Corbett, MP Materials CFO, sells $2.29 million in stock", "market"),
    ("中國稀土出口5月暴跌74%", "market"),
    # irrelevant: the distractors
    ("China's 2026 first batch fuel export quotas steady year on year, sources say", "irrelevant"),
    ("Customs seize 3 million counterfeit cigarettes at Shenzhen port", "irrelevant"),
    ("海关查获走私香烟50万支", "irrelevant"),
    ("Hong Kong arrests 2 for selling fake Liverpool jerseys, other football merchandise", "irrelevant"),
    ("Gold Hits Record High as Investors Bet on Fed Rate Cuts", "irrelevant"),
    (
        "Enhanced Favorable Treatment for the United Arab Emirates Under the Export Administration Regulations",
        "irrelevant",
    ),
    ("工业和信息化部等十部门印发《5G应用“扬帆”行动计划（2021-2023年）》", "irrelevant"),
    ("前10月海关立案侦办超2700起走私犯罪案件", "irrelevant"),
    ("MOFCOM launches anti-dumping investigation into US chemicals", "irrelevant"),
    ("China's first batch of 2025 refined oil product export quotas falls 10%", "irrelevant"),
]


@pytest.mark.parametrize(("text", "label"), CASES)
def test_label(text, label):
    assert classify(text).label == label


@pytest.fixture
def rules_only(tmp_path: Path):
    """The shipped rules with the model off: these tests are about the rules' own mechanics."""
    (tmp_path / "rules.toml").write_text("[model]\nenabled = false\n", "utf-8")
    return load_lexicon(tmp_path / "rules.toml")


def test_the_rules_call_a_plant_opening_with_money_a_deal(rules_only):
    # the combined classifier says market here (the model learned plant openings as market): a known difference
    assert classify("Neo opens €75m magnet plant in Estonia", lexicon=rules_only).label == "deal"


def test_explains_itself_with_terms_as_written(rules_only):
    result = classify("China announces export control on certain graphite materials, products", lexicon=rules_only)
    assert result.label == "export_control"
    assert "export control" in result.matched and "graphite" in result.matched
    assert result.score == result.scores["export_control"] > result.scores["market"]
    # traditional input: the matched terms are shown in the source's characters
    assert "出口管制" in classify("中國宣布對鎢相關物項實施出口管制").matched


def test_title_words_weigh_more_than_body_words():
    title_only = classify("Rare earth export controls", "")
    body_only = classify("", "Rare earth export controls")
    assert title_only.label == body_only.label == "export_control"
    assert title_only.score > body_only.score


def test_body_decides_when_the_title_is_vague():
    assert (
        classify("Notice", "China sets the 2024 first batch of rare earth mining quota at 135,000 tonnes").label
        == "quota"
    )


def test_background_mentions_of_a_policy_do_not_win():
    # a price story caused by controls is market news; a seizure amid controls is enforcement
    assert classify("Dysprosium prices in Europe triple amid Chinese export restrictions").label == "market"
    assert classify("China's rare earth exports slump in May as magnet sales curbed").label == "market"


def test_ties_go_to_the_label_listed_first(tmp_path: Path):
    # quota and deal reduced to one equal-weight word each: the tie-break is scoring.order
    equal = (
        "[model]\nenabled = false\n"
        '[labels.quota]\nreplace = true\n[[labels.quota.terms]]\nweight = 1.0\nterms = ["quota"]\n'
        '[labels.deal]\nreplace = true\n[[labels.deal.terms]]\nweight = 1.0\nterms = ["loan"]\n'
    )
    (tmp_path / "equal.toml").write_text(equal, "utf-8")
    result = classify("rare earth quota loan", lexicon=load_lexicon(tmp_path / "equal.toml"))
    assert result.scores["quota"] == result.scores["deal"] and result.label == "quota"  # shipped order
    reordered = equal + '[scoring]\norder = ["deal", "quota", "export_control", "enforcement", "market"]\n'
    (tmp_path / "reordered.toml").write_text(reordered, "utf-8")
    assert classify("rare earth quota loan", lexicon=load_lexicon(tmp_path / "reordered.toml")).label == "deal"


def test_user_lexicon_extends_removes_and_replaces(tmp_path: Path):
    text = "Rare earth magnet maker unveils widget"
    assert classify(text).label == "market"
    user = tmp_path / "user.toml"
    user.write_text('[[labels.deal.terms]]\nweight = 5.0\nterms = ["unveils widget"]\n', "utf-8")
    assert classify(text, lexicon=load_lexicon(user)).label == "deal"
    removal = tmp_path / "remove.toml"
    removal.write_text('[labels.enforcement]\nremove = ["seiz*"]\n', "utf-8")
    before = classify("Customs seize antimony")
    after = classify("Customs seize antimony", lexicon=load_lexicon(removal))
    assert "seize" in before.matched and "seize" not in after.matched
    assert after.scores["enforcement"] < before.scores["enforcement"]
    # the gate can be widened: copper is not a critical mineral in the shipped rules
    assert classify("Copper prices hit record").label == "irrelevant"
    gate = tmp_path / "gate.toml"
    gate.write_text('[[gate.terms]]\nweight = 2.0\nterms = ["copper"]\n', "utf-8")
    assert classify("Copper prices hit record", lexicon=load_lexicon(gate)).label == "market"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[labels.deal.terms]]\nweight = 'high'\nterms = ['x']\n", "labels.deal.terms[4].weight"),
        ("[[labels.deal.terms]]\nweight = 1\nterms = ['re:(unclosed']\n", "bad regular expression"),
        ("[scoring]\norder = ['quota', 'nonsense']\n", "nonsense"),
        ("not toml = = 1", "not valid TOML"),
    ],
)
def test_bad_user_lexicon_is_a_config_error_naming_file_and_key(tmp_path: Path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_lexicon(path)
    assert message in str(caught.value) and "bad.toml" in str(caught.value)


def test_deterministic_and_stable_under_repetition():
    text = "China's Commerce Ministry To Trump: Rare Earth Export Curbs Are Not Bans"
    first = classify(text)
    assert all(classify(text) == first for _ in range(3))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "China pledges to crack down on illicit exports of rare earths, urges US to lift more trade controls",
            "enforcement",
        ),
        ("中方将严厉打击战略矿产走私出口", "enforcement"),
        ("China lifts export controls on gallium and germanium shipments to the US", "export_control"),
    ],
)
def test_a_crackdown_on_illicit_exports_is_enforcement_even_beside_other_controls(text, expected):
    assert classify(text, "", load_lexicon()).label == expected
