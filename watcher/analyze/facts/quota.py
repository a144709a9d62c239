"""Quota figures: which quota each tonnage is, for which batch and year, and for whom.

A quota text mixes figures that look alike: this batch, the running total of
the year (前两批合计 / "brought the total so far this year"), a whole-year
figure, last year's for comparison, the light/heavy (岩矿型/离子型) split, a
tungsten quota in the same MNR clause, per-province and per-company shares.
Each tonnage is read with the words around it, in this order:

1. a list with 分别为 / "respectively" pairs figures with the kinds or the
   provinces named before them, in order;
2. words right after a figure bind it ("3000吨开采指标", "50,425 tonnes ... for
   light rare earths");
3. otherwise the clause before it decides: tungsten, then ore type
   (岩矿型/离子型), then the nearest of mining/smelting; a province or a
   company there makes it an allocation;
4. a figure with no kind word inherits the previous one's when it is a running
   total, else it is the (mining) quota itself.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from watcher.analyze.facts._common import (
    EN_ORDINAL,
    NUM,
    Tonnage,
    data_file,
    lowered,
    phrases,
    sentences,
    to_number,
    vocab,
    zh_int,
)
from watcher.analyze.termmatch import Group, Matcher

_BATCH = re.compile(
    r"(?P<pre>已下达的|不含|前)?第\s*(?P<zh>[一二三四五六七八九十\d]{1,3})\s*批|(?P<first>首)批"
    r"|(?P<en>first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+batch",
    re.I,
)
_YEAR_BATCH = re.compile(
    r"(?P<y1>(?:19|20)\d{2})\s*年度?\s*(?:全国)?\s*(?:第\s*[一二三四五六七八九十\d]{1,3}\s*批|首批|前[两二三]批)"
    r"|(?:first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+batch\s+of\s+(?:its\s+|the\s+)?(?P<y2>(?:19|20)\d{2})"
    r"|(?P<y3>(?:19|20)\d{2})\s+(?:first|second|third|fourth)[\s-]+batch",
    re.I,
)
_YEAR_QUOTA = re.compile(
    r"(?P<y1>(?:19|20)\d{2})\s*年度?[^。;,，]{0,24}?(?:指标|配额|开采量)"
    r"|(?P<y2>(?:19|20)\d{2})\s+(?:[\w-]+\s+){0,4}?quotas?\b|quotas?\s+(?:set\s+)?for\s+(?P<y3>(?:19|20)\d{2})",
    re.I,
)
_YEAR_ANY = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年")
_YEAR_EN = re.compile(r"(?<![\d,.-])(?:19|20)\d{2}(?![\d,-])")
_COMPARE = re.compile(
    r"(?:half|double|than|compared|versus|\bvs\b|from|last year|去年|上年|同比|较)"
    r"[^.。;]{0,22}$",
    re.I,
)
_THIS_YEAR = re.compile(r"今年|本年度|this year|this year's", re.I)
_RESPECTIVELY = re.compile(r"分别为|分别是|分别|respectively", re.I)
_EN_FOR = re.compile(
    r"^\s*(?:(?:have|has)\s+been|were|was|is|are)?"
    r"\s*(?:allocated|set aside|earmarked|assigned|reserved)?\s*(?:for|to)\s+(?:the\s+)?"
    r"([^,.;。，]{0,45})",
    re.I,
)
_CO_BEFORE = re.compile(r"([\u4e00-\u9fffA-Za-z()]{2,40}(?:有限公司|公司|集团))\s*(?:获得|分得|获)[^,，]{0,8}$")
_SEGMENT_SPLIT = re.compile(r"[,，;；:：]")
_CO_AFTER_NAME = re.compile(r"\s*([\u4e00-\u9fffA-Za-z()]{2,40}(?:有限责任公司|有限公司|公司|集团))")
_BARE_NUM = re.compile(r"(?P<num>" + NUM + r")(?=\s*(?:,|、|and|和|与)\s*\d)")


@lru_cache(maxsize=1)
def _rx() -> dict[str, Any]:
    q = vocab()["quota"]
    kinds = q["kinds"]
    kind_rx = re.compile("|".join(f"(?P<{name}>{phrases(words, plural=True)})" for name, words in kinds.items()), re.I)
    return {
        "kind": kind_rx,
        "cumulative": re.compile(phrases(q["cumulative"]["cues"]), re.I),
        "annual": re.compile(phrases(q["annual"]["cues"]), re.I),
        "previous": re.compile(phrases(q["previous"]["cues"]) + r"[^.。;,，]{0,20}$", re.I),
        "context": re.compile(phrases(q["context"]["cues"]), re.I),
        "receive": re.compile(phrases(q["allocation"]["receive"]) + r"\s*$", re.I),
        "give_to": re.compile(r"^[,，\s]*[^.。;，,]{0,10}?" + phrases(q["allocation"]["give_to"]), re.I),
        "batch_word": re.compile(r"批|batch", re.I),
    }


def is_quota_text(text: str) -> bool:
    low = lowered(text)
    return any(cue in low for cue in _context_cues())


@lru_cache(maxsize=1)
def _mineral_cues() -> tuple[str, ...]:
    return tuple(cue.lower() for cue in vocab()["quota"]["minerals"]["cues"])


@lru_cache(maxsize=1)
def _context_cues() -> tuple[str, ...]:
    return tuple(cue.lower() for cue in vocab()["quota"]["context"]["cues"])


def find_batch(text: str) -> int | None:
    """The batch this text is about: the first one named, skipping 已下达的第一批 / 前两批 back-references."""
    if "批" not in text and "atch" not in text:
        return None
    for match in _BATCH.finditer(text):
        if match["pre"]:
            continue
        if match["en"]:
            return EN_ORDINAL[match["en"].lower()]
        return 1 if match["first"] else zh_int(match["zh"])
    return None


def find_year(text: str, published_year: int | None) -> int | None:
    """The quota year: attached to the batch, else to the quota noun, else the publication year (今年, "this
    year" and unstated years alike), else any year the text names outside a comparison."""
    low = lowered(text)
    for pattern, hints in ((_YEAR_BATCH, ("批", "batch")), (_YEAR_QUOTA, ("指标", "配额", "开采量", "quota"))):
        if not any(h in low for h in hints):
            continue
        for match in pattern.finditer(text):
            year = next(g for g in match.groups() if g)
            if not _COMPARE.search(text[max(0, match.start() - 30) : match.start()]):
                return int(year)
    anywhere = _YEAR_ANY.search(text)
    if anywhere:
        return int(anywhere["y"])
    if published_year is not None:
        return published_year
    # no date to go by: a year named in the text, unless it is a comparison ("half the quota set for 2018")
    for match in _YEAR_EN.finditer(text):
        if not _COMPARE.search(text[max(0, match.start() - 30) : match.start()]):
            return int(match.group())
    return None


@lru_cache(maxsize=1)
def _province_matcher() -> tuple[Matcher, list[str]]:
    provinces = data_file("provinces.toml")["province"]
    groups = [
        Group("province", 1.0, (p["name"], *p.get("aliases", [])), name=f"province:{p['name']}") for p in provinces
    ]
    return Matcher(groups), [p["name"] for p in provinces]


def find_provinces(text: str) -> list[tuple[int, int, str]]:
    """(start, end, short name) of every province named, in order."""
    matcher, names = _province_matcher()
    return sorted((hit.start, hit.end, names[hit.group]) for hit in matcher.find(lowered(text)))


def find_region(text: str, places: list[tuple[int, int, str]] | None = None) -> str | None:
    """A provincial notice names its province first (内蒙古自治区2021年度...) or speaks of 我区/我省."""
    places = find_provinces(text) if places is None else places
    listed = len(places) > 1 and places[1][0] - places[0][1] <= 8  # "内蒙古、山东和四川..." is a list, not an issuer
    if places and not listed and not text[: places[0][0]].strip(" 一二三、.:："):
        return places[0][2]
    if places and any(word in text for word in ("我区", "我省", "我市", "本区", "本省")):
        return places[0][2]
    return None


def _kind(text: str, before: str, after: str, sentence: str, tungsten_sentence: bool) -> str | None:
    kind_rx = _rx()["kind"]
    head = kind_rx.match(after.lstrip(" 的"))
    if head:
        return head.lastgroup
    bound = _EN_FOR.match(after)
    if bound:
        found = kind_rx.search(bound.group(1))
        if found:
            return found.lastgroup
    found = [m.lastgroup for m in kind_rx.finditer(before)]
    if "antimony" in found and not {"tungsten", "rock_type", "ionic_type"} & set(found) and "稀土" not in sentence:
        return "antimony"
    if tungsten_sentence or "tungsten" in found:
        for sub in ("tungsten_main", "tungsten_comprehensive"):
            if sub in found:
                return sub
        return "tungsten"
    for ore in ("ionic_type", "rock_type"):
        if ore in found:
            return ore
    operations = [k for k in found if k in ("mining", "smelting", "export")]
    return operations[-1] if operations else None


def _company_before(before: str) -> str | None:
    segment = _SEGMENT_SPLIT.split(before)[-1]
    match = _CO_BEFORE.search(segment)
    if match:
        return match.group(1)
    if _rx()["receive"].search(segment):
        from watcher.analyze.facts.names import find_parties

        names = find_parties(segment, kinds=("company",))
        return names[-1] if names else None
    return None


def _figures(text: str, tonnages: list[Tonnage], places: list[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """One record per quota tonnage: value, kind, scope (batch/cumulative/annual/previous), province, company."""
    rx = _rx()
    records: list[dict[str, Any]] = []
    last: dict[str, Any] | None = None
    for s_start, s_end in sentences(text):
        sentence = text[s_start:s_end]
        inside = [t for t in tonnages if s_start <= t.start < s_end and not t.capacity]
        if not inside:
            continue
        tungsten_sentence = bool(re.search(r"钨|tungsten", sentence, re.I)) and not re.search(
            r"稀土|rare earth", sentence, re.I
        )
        paired = _respectively(sentence, s_start, inside, places)
        previous_end = s_start
        for index, tonnage in enumerate(inside):
            before = text[previous_end : tonnage.start]
            next_start = inside[index + 1].start if index + 1 < len(inside) else s_end
            after = text[tonnage.end : next_start]
            record: dict[str, Any] = {"value": tonnage.value, "province": None, "company": None, "give_to": False}
            scope_text = text[s_start : inside[0].start] if paired else before
            if paired:
                record.update(paired[index])
            else:
                record["kind"] = _kind(text, before, after, sentence, tungsten_sentence)
                found = [name for start, _, name in places if previous_end <= start < tonnage.start]
                if found:
                    record["province"] = found[-1]
                company = _company_before(before)
                if company is None and last and last.get("company") and not re.search(r"[,，。;]", before):
                    company = last["company"]
                record["company"] = company
                give = rx["give_to"].search(after)
                if give:
                    name = _CO_AFTER_NAME.match(after[give.end() :])
                    if name:
                        record["company"], record["give_to"] = name.group(1), True
            record["scope"] = _scope(scope_text, sentence)
            if record.get("kind") is None:
                inherit = last is not None and record["scope"] == "cumulative"
                record["kind"] = last["kind"] if inherit and last else "mining"
            records.append(record)
            last = record
            previous_end = tonnage.end
    return records


def _scope(before: str, sentence: str) -> str:
    rx = _rx()
    if rx["previous"].search(before[-30:]):
        return "previous"
    if rx["cumulative"].search(before):
        return "cumulative"
    if rx["annual"].search(before) and not rx["batch_word"].search(before):
        return "annual"
    return "batch"


def _respectively(
    sentence: str, s_start: int, inside: list[Tonnage], places: list[tuple[int, int, str]]
) -> list[dict[str, Any]] | None:
    """分别为X吨、Y吨 / 'X and Y tonnes, respectively': pair figures with the kinds or provinces listed before."""
    rx = _rx()
    marker = _RESPECTIVELY.search(sentence)
    if marker is None:
        return None
    first = inside[0].start - s_start
    head = sentence[:first]
    # English puts bare numbers before the last unit: "135,000 and 127,000 tonnes, respectively"
    bare = [m for m in _BARE_NUM.finditer(head) if to_number(m["num"]) >= 100 and "," in m["num"]]
    values = [to_number(m["num"]) for m in bare] + [t.value for t in inside]
    label_head = head[: bare[0].start()] if bare else head
    head_end = s_start + len(label_head)
    provinces = list(dict.fromkeys(name for start, _, name in places if s_start <= start < head_end))
    kinds = list(dict.fromkeys(m.lastgroup for m in rx["kind"].finditer(label_head)))
    if len(provinces) == len(values) and len(values) > 1:
        return [{"kind": "mining", "province": p} for p in provinces][-len(inside) :]
    if len(kinds) == len(values) and len(values) > 1:
        return [{"kind": k} for k in kinds][-len(inside) :]
    return None


_KEY = {
    "mining": "mining_tonnes",
    "smelting": "smelting_tonnes",
    "rock_type": "rock_type_tonnes",
    "ionic_type": "ionic_type_tonnes",
    "tungsten": "tungsten_concentrate_tonnes",
    "tungsten_main": "tungsten_main_tonnes",
    "tungsten_comprehensive": "tungsten_comprehensive_tonnes",
    "antimony": "antimony_tonnes",
    "export": "export_quota_tonnes",
}
_PREFIX = {"batch": "", "cumulative": "cumulative_", "annual": "annual_", "previous": "previous_"}


def quota_facts(
    text: str, tonnages: list[Tonnage], published_year: int | None, elements: list[str] | None = None
) -> dict[str, Any]:
    """Typed quota facts (keys as in facts_dev.jsonl) for a text that speaks of quotas of our minerals.

    `elements` named in the text, or a rare-earth quota term of art ([quota.minerals] in facts_vocab.toml),
    make it a critical-mineral quota: a sugar or fuel quota yields no figures."""
    if not is_quota_text(text):
        return {}
    if not elements and not any(cue in lowered(text) for cue in _mineral_cues()):
        return {}
    facts: dict[str, Any] = {}
    places = find_provinces(text)
    region = find_region(text, places)
    figures = _figures(text, tonnages, places)
    allocations: dict[str, dict[str, Any]] = {}
    for figure in figures:
        key = _KEY[figure["kind"]]
        if figure["province"] and figure["province"] != region:  # the issuing region's own figure is the notice's
            facts.setdefault("by_province_tonnes", {}).setdefault(figure["province"], figure["value"])
            continue
        if figure["company"]:
            entry = allocations.setdefault(figure["company"], {"company": figure["company"]})
            entry.setdefault("smelting_tonnes" if figure["kind"] == "smelting" else "mining_tonnes", figure["value"])
            if not figure["give_to"]:
                continue
        facts.setdefault(_PREFIX[figure["scope"]] + key, figure["value"])
    if allocations:
        facts["allocations"] = list(allocations.values())
    batch = find_batch(text)
    dated = figures or batch is not None or _THIS_YEAR.search(text)
    year = find_year(text, published_year if dated else None)
    for key, value in (("year", year), ("batch", batch), ("region", region)):
        if value is not None:
            facts[key] = value
    return facts
