"""Fact extraction: each unit and currency trap, quota figures that look alike, references and names."""

from __future__ import annotations

import json

import pytest

from watcher.analyze.facts import extract_facts


def facts(text: str, **kwargs) -> dict:
    result = extract_facts(text, **kwargs)
    json.dumps(result, ensure_ascii=False)  # always JSON-serialisable
    return result


# ── tonnages ──
@pytest.mark.parametrize(
    ("text", "tonnes"),
    [
        ("指标为135000吨", 135000),
        ("指标分别为13.5万吨、12.7万吨", 135000),
        ("quota at 100,800 tonnes", 100800),
        ("quota at 135,000 metric tons", 135000),
        ("quota of 60,000 tons", 60000),
        ("a quota of 12,000t", 12000),
        ("a quota of 1.2 million tonnes", 1200000),
        ("a quota of 5 kt", 5000),
    ],
)
def test_tonnage_units(text, tonnes):
    assert facts(text)["tonnages"][0]["tonnes"] == tonnes


@pytest.mark.parametrize(
    ("text", "capacity"),
    [
        ("Vulcan Elements' expansion to 10,000 tonnes of production capacity", 10000),
        ("a 10,000-tonne magnet plant", 10000),
        ("The refinery will process 12,000 tonnes a year of concentrate", 12000),
        ("capacity of 5,000 tpa", 5000),
        ("年产能1万吨的稀土永磁项目", 10000),
    ],
)
def test_capacity_is_recorded_apart(text, capacity):
    result = facts(text)
    assert result["capacity_tonnes"] == capacity
    assert "mining_tonnes" not in result


def test_numbers_that_are_not_tonnages_or_money():
    result = facts("MP Materials shares rose 48% in 2025 as 1,500 jobs were created and 2,000,000 shares traded")
    assert "tonnages" not in result and "money" not in result and "amount" not in result
    assert result["jobs"] == 1500


def test_a_year_is_not_a_tonnage_and_a_percentage_is_not_money():
    result = facts("China hikes 2021 rare earth quotas by 20% year on year")
    assert result["year"] == 2021 and "tonnages" not in result and "money" not in result


# ── quota figures ──
def test_miit_clause_respectively():
    result = facts(
        "一、2024年第一批稀土开采、冶炼分离总量控制指标分别为135000吨、127000吨(两家稀土集团的分解情况见附件1)。"
    )
    assert (result["year"], result["batch"], result["mining_tonnes"], result["smelting_tonnes"]) == (
        2024,
        1,
        135000,
        127000,
    )


def test_batch_and_cumulative_are_not_confused():
    text = (
        "2022年第二批稀土开采、冶炼分离总量控制指标分别为109200吨、104800吨(不含已下达的第一批指标)。"
        "2022年前两批合计稀土开采、冶炼分离总量控制指标分别为210000吨、202000吨。"
    )
    result = facts(text)
    assert result["batch"] == 2
    assert (result["mining_tonnes"], result["smelting_tonnes"]) == (109200, 104800)
    assert (result["cumulative_mining_tonnes"], result["cumulative_smelting_tonnes"]) == (210000, 202000)


def test_english_running_total():
    text = (
        "China has set its second batch of 2024 rare earths mining output quota at 135,000 metric tons ... "
        "brought the total so far this year to 270,000 tons ... The ministry also set the quota for smelting "
        "and separation of rare earths at 127,000 tons ... That brought the year-to-date quota for smelting "
        "and separation to 254,000 tons."
    )
    result = facts(text)
    assert (result["year"], result["batch"]) == (2024, 2)
    assert (result["mining_tonnes"], result["cumulative_mining_tonnes"]) == (135000, 270000)
    assert (result["smelting_tonnes"], result["cumulative_smelting_tonnes"]) == (127000, 254000)


def test_mnr_tungsten_is_kept_apart_from_rare_earths():
    text = (
        "2022年度全国第一批稀土矿(稀土氧化物REO,下同)开采总量控制指标100800吨,其中离子型(以中重稀土为主)稀土矿"
        "指标11490吨,岩矿型(轻)稀土矿指标89310吨。第一批钨精矿(三氧化钨含量65%,下同)开采总量控制指标63000吨,"
        "其中主采指标46890吨,综合利用指标16110吨。"
    )
    result = facts(text)
    assert result["mining_tonnes"] == 100800
    assert (result["ionic_type_tonnes"], result["rock_type_tonnes"]) == (11490, 89310)
    assert result["tungsten_concentrate_tonnes"] == 63000
    assert (result["tungsten_main_tonnes"], result["tungsten_comprehensive_tonnes"]) == (46890, 16110)


def test_light_and_heavy_split_bound_after_the_figure_and_this_year_from_published():
    text = (
        "The first batch of quota for rare earths totals 60,000 tonnes, about half the quota set for 2018 ... "
        "Of the total, 50,425 tonnes have been allocated for light rare earths, with 9,575 tonnes for medium "
        "and heavy rare earth metals."
    )
    result = facts(text, published="2019-03-21")
    assert (result["year"], result["batch"], result["mining_tonnes"]) == (2019, 1, 60000)
    assert (result["rock_type_tonnes"], result["ionic_type_tonnes"]) == (50425, 9575)


def test_this_year_in_chinese():
    assert facts("今年首批稀土开采指标下达", published="2024-02-22")["year"] == 2024


def test_provinces_and_companies():
    provinces = facts(
        "鋰離子型稀土礦方面，2018年江西開採量為8500噸、湖南為1800噸……福建和廣東開採量分別為3500噸、2700噸"
    )
    assert provinces["by_province_tonnes"] == {"江西": 8500, "湖南": 1800, "福建": 3500, "广东": 2700}
    assert "mining_tonnes" not in provinces
    companies = facts(
        "中国稀土集团有限公司获得3000吨开采指标、2850吨冶炼指标，中国北方稀土(集团)高科技股份有限公司"
        "获得开采指标1.2万吨、冶炼指标1.1万吨。"
    )
    assert companies["allocations"] == [
        {"company": "中国稀土集团有限公司", "mining_tonnes": 3000, "smelting_tonnes": 2850},
        {"company": "中国北方稀土(集团)高科技股份有限公司", "mining_tonnes": 12000, "smelting_tonnes": 11000},
    ]
    region = facts(
        "内蒙古自治区2021年度第一批稀土矿钨矿开采总量控制指标……"
        "本次下达我区第一批岩矿型稀土氧化物开采总量控制指标为44130吨，全部分配给包头钢铁集团公司。"
    )
    assert region["region"] == "内蒙古" and region["rock_type_tonnes"] == 44130
    assert region["allocations"] == [{"company": "包头钢铁集团公司", "mining_tonnes": 44130}]


def test_export_quota_is_its_own_figure():
    result = facts("Congo sets cobalt export quota at 18,125 tonnes for the rest of 2025")
    assert result["export_quota_tonnes"] == 18125 and "mining_tonnes" not in result
    assert result["elements"] == ["Co"] and result["year"] == 2025


def test_other_commodities_quotas_yield_no_quota_figures():
    result = facts("China sets 2026 sugar import tariff quota at 1.945 million tonnes")
    assert "mining_tonnes" not in result and "doc_type" not in result
    # but a quota snippet that only uses the terms of art still counts
    snippet = facts(
        "The mining quota for the first batch was set at 84,000 tonnes, while the smelting and "
        "separation quota was 81,000 tonnes.",
        published="2021-02-19",
    )
    assert (snippet["year"], snippet["mining_tonnes"], snippet["smelting_tonnes"]) == (2021, 84000, 81000)


def test_english_allocation_to_a_company():
    result = facts("China Northern Rare Earth was allotted 68,250 tonnes of mining quota, or 71% of the total.")
    assert result["allocations"] == [{"company": "中国北方稀土(集团)高科技股份有限公司", "mining_tonnes": 68250}]
    assert "mining_tonnes" not in result


def test_a_province_leading_its_own_notice_is_the_region():
    own = facts("江西省2024年离子型稀土矿开采指标为8500吨。")
    assert (own["region"], own["ionic_type_tonnes"]) == ("江西", 8500) and "by_province_tonnes" not in own
    listed = facts("内蒙古、山东和四川稀土开采量分别为69250吨、3600吨、28000吨。")
    assert "region" not in listed
    assert listed["by_province_tonnes"] == {"内蒙古": 69250, "山东": 3600, "四川": 28000}


def test_trade_volume_is_not_a_quota():
    result = facts("China's rare earth exports fell 5% to 4,000 metric tons in May")
    assert result["tonnages"][0]["tonnes"] == 4000 and "mining_tonnes" not in result


# ── money ──
@pytest.mark.parametrize(
    ("text", "amount", "currency", "usd"),
    [
        ("a $500 million investment", 500_000_000, "USD", 500_000_000),
        ("US$1.25bn loan", 1_250_000_000, "USD", 1_250_000_000),
        ("USD$8.5 billion pipeline", 8_500_000_000, "USD", 8_500_000_000),
        ("Pentagon Pumps $400M Into", 400_000_000, "USD", 400_000_000),
        ("获得5亿美元投资", 500_000_000, "USD", 500_000_000),
        ("投资4亿元", 400_000_000, "CNY", None),
        ("总投资约20.5亿元", 2_050_000_000, "CNY", None),
        ("A$200m grant", 200_000_000, "AUD", None),
        ("AUD 400 million ($257.2m) loan", 400_000_000, "AUD", 257_200_000),
        ("提供2亿澳元（约合1.3亿美元）资金", 200_000_000, "AUD", 130_000_000),
        ("add 18.75 million euros from the fund", 18_750_000, "EUR", None),
        ("HK$1.2 million of goods", 1_200_000, "HKD", None),
        ("人民币4亿元", 400_000_000, "CNY", None),
    ],
)
def test_money_and_currency(text, amount, currency, usd):
    result = facts(text)
    assert (result["amount"], result["currency"], result.get("amount_usd")) == (amount, currency, usd)


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("at least USD$1 billion in investments", "at_least"),
        ("more than $2.2 billion in financing", "more_than"),
        ("up to $5 billion of total investment", "up_to"),
        ("approximately US$258 million", "approximately"),
        ("总投资约20.5亿元", "approximately"),
        ("持股不低于5亿美元", "at_least"),
    ],
)
def test_qualifiers(text, qualifier):
    assert facts(text)["money"][0]["qualifier"] == qualifier


@pytest.mark.parametrize(
    "text",
    [
        "Dysprosium oxide rose to $850 per kg",
        "NdPr oxide at 600,000 yuan/tonne",
        "氧化镨钕均价50万元/吨",
        "Corbett, MP Materials CFO, sells $2.29 million in stock",
        "sold 100,000 shares worth $2.3 million",
        "Lynas reported revenue of A$200 million",
        "MP Materials' market value rose to $10 billion",
    ],
)
def test_prices_share_sales_and_results_are_not_deal_amounts(text):
    result = facts(text)
    assert "amount" not in result and "amount_usd" not in result
    assert result["money"]  # still listed, with their kind
    assert all(m["kind"] in {"price", "stock", "financial"} for m in result["money"])


def test_several_amounts_current_and_previous():
    text = (
        "A contribution by the U.S. Government of approximately US$258 million is currently allocated to the "
        "Project. This is an increase from the approximately US$120 million announced in June 2022."
    )
    result = facts(text)
    assert (result["amount_usd"], result["previous_amount_usd"]) == (258_000_000, 120_000_000)
    vulcan = facts(
        "financed by a $620 million Direct Loan from the Department of War's Office of Strategic Capital, "
        "$50 million of federal incentives from the Department of Commerce, and $550 million in private "
        "capital."
    )
    assert [(a["amount_usd"], a["what"]) for a in vulcan["amounts_usd"]] == [
        (620_000_000, "direct loan"),
        (50_000_000, "incentives"),
        (550_000_000, "private capital"),
    ]


# ── references, names, dates ──
@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("工信部联原〔2024〕25号", "工信部联原〔2024〕25号"),
        ("自然资发﹝2022﹞38号", "自然资发〔2022〕38号"),
        ("根据工信部联原[2023]159号文件", "工信部联原〔2023〕159号"),
        (
            "商务部 海关总署公告2025年第18号 公布对部分中重稀土相关物项实施出口管制的决定",
            "商务部 海关总署公告2025年第18号",
        ),
        ("公告2025年第61号", "公告2025年第61号"),
        ("FR Doc. 2025-06836 Filed 4-17-25", "2025-06836"),
        ("Executive Order 14272", "EO 14272"),
        ("MOFCOM Announcement No. 18 of 2025", "MOFCOM Announcement No. 18 of 2025"),
    ],
)
def test_document_numbers(text, number):
    assert facts(text)["doc_no"] == number


def test_control_and_hs_codes_and_elements():
    result = facts("一、钐相关物项 (一)1C902.a 金属钐、含钐的合金及相关制品:1. 金属钐(参考海关商品编号:2805301910)。")
    assert result["control_codes"] == ["1C902.a"] and result["hs_codes"] == ["2805301910"]
    assert result["elements"] == ["Sm"]
    assert facts("镝、铽、钆、镥、钪、钇、镓、锗、锑、钨、石墨")["elements"] == [
        "Dy",
        "Tb",
        "Gd",
        "Lu",
        "Sc",
        "Y",
        "Ga",
        "Ge",
        "Sb",
        "W",
        "graphite",
    ]
    assert facts("gallium, germanium, antimony and NdFeB magnets")["elements"] == ["Ga", "Ge", "Sb", "Nd"]


def test_parties_from_the_data_file_and_patterns():
    result = facts(
        "Washington and Canberra committed ... The Export-Import Bank of the United States is issuing "
        "seven Letters of Interest. Denton County commissioners approved a tax abatement."
    )
    assert result["parties"] == [
        "United States Government",
        "Australian Government",
        "Export-Import Bank of the United States",
        "Denton County",
    ]
    assert facts("MOFCOM said; MSS disclosed; mss is not an acronym here")["parties"] == ["商务部", "国家安全部"]


@pytest.mark.parametrize(
    ("text", "parties"),
    [
        (
            "Australia commits additional $257m to Iluka's Eneabba rare earths refinery",
            ["Australian Government", "Iluka Resources"],
        ),
        (
            "Estonia will add 18.75 million euros as Neo Performance Materials invests",
            ["Estonian Government", "Neo Performance Materials"],
        ),
        ("U.S. to inject $1.6 billion into rare earths miner", ["United States Government"]),
        (
            "Japan and Australia agree to invest in rare earth projects",
            ["Japanese Government", "Australian Government"],
        ),
        ("日本与美国签署关键矿产供应协议", ["Japanese Government", "United States Government"]),
        ("Rare earth processing in Australia is growing", []),  # a place, not a party
        ("Lynas told us that demand is strong", ["Lynas Rare Earths"]),  # "us" is not the US
    ],
)
def test_countries_are_parties_when_they_act(text, parties):
    assert facts(text).get("parties", []) == parties


def test_dates():
    assert facts("本公告自2025年12月1日起施行。")["effective_date"] == "2025-12-01"
    assert facts("决定自即日起至2026年11月10日，暂停实施。")["until_date"] == "2026-11-10"
    assert (
        facts("Export Control on Gallium, Germanium Items to Be Effective from August 1.", published="2023-07-03")[
            "effective_date"
        ]
        == "2023-08-01"
    )


def test_empty_and_plain_text():
    assert facts("") == {}
    assert facts("Nothing to see here") == {}


def test_an_element_inside_a_company_name_is_not_an_element():
    facts = extract_facts(
        "中国稀土集团有限公司、中国北方稀土(集团)高科技股份有限公司、厦门钨业股份有限公司："
        "现将2023年第一批稀土开采、冶炼分离总量控制指标下达给你们。"
    )
    assert "W" not in (facts.get("elements") or [])
    assert "厦门钨业" in facts["parties"]
    assert extract_facts("第一批钨精矿开采总量控制指标63000吨")["elements"] == ["W"]


def test_samarium_cobalt_alloy_is_not_cobalt():
    assert extract_facts("(一)1C902.a 金属钐、钐钴合金及相关制品")["elements"] == ["Sm"]
    assert extract_facts("Cobalt prices climbed after Congo extended its export ban")["elements"] == ["Co"]


def test_a_company_pattern_snaps_to_the_known_name_at_its_end():
    facts = extract_facts(
        "About MP Materials MP Materials Corp. (NYSE: MP) is America's only fully integrated rare earth producer."
    )
    assert facts["parties"] == ["MP Materials"]


def test_a_notice_that_suspends_others_names_them():
    from watcher.analyze.facts import extract_facts

    facts = extract_facts("商务部公告2025年第70号 关于暂停实施2025年第61号公告的公告")
    assert facts["suspends"] == ["商务部公告2025年第61号"]
    assert facts["doc_numbers"] == ["商务部公告2025年第70号"]
    facts = extract_facts("MOFCOM issued Announcement No. 70, suspending Announcements 55–58, 61, and 62 of 2025")
    assert facts["suspends"] == [f"Announcement No. {n} of 2025" for n in (55, 56, 57, 58, 61, 62)]
    amended = extract_facts("商务部 海关总署公告2025年第72号 关于修改商务部 海关总署公告2025年第18号、第57号的公告")
    assert amended["amends"] == ["商务部 海关总署公告2025年第18号", "商务部 海关总署公告2025年第57号"]


def test_antimony_and_wan_tonne_quota_figures():
    from watcher.analyze.facts import extract_facts

    assert extract_facts("下达2009年全国锑矿开采总量控制指标为40000吨")["antimony_tonnes"] == 40000
    assert extract_facts("2024年第一批稀土开采总量控制指标13.5万吨")["mining_tonnes"] == 135000
    assert extract_facts("今年稀土开采量控制在14万吨以内", published="2024-03-01")["mining_tonnes"] == 140000


def test_parties_in_english_for_an_english_reader():
    from watcher.analyze.facts import extract_facts

    facts = extract_facts("商务部 海关总署公告2025年第18号")
    assert facts["parties"] == ["商务部", "海关总署"]
    assert facts["parties_en"] == ["MOFCOM", "General Administration of Customs"]
