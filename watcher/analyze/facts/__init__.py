"""Pull the figures a buyer acts on out of a change: quota tonnes, money, parties, elements, references.

`extract_facts` returns plain JSON-ready values under the key names of the
dev set (tests/data/facts_dev.jsonl): doc_type, year, batch, mining_tonnes,
smelting_tonnes, cumulative_*, rock_type_tonnes, ionic_type_tonnes,
tungsten_concentrate_tonnes, region, allocations, by_province_tonnes,
doc_no, amount, currency, amount_usd, amounts_usd, previous_amount_usd,
parties, capacity_tonnes, jobs - plus the full lists behind them
(`money`, `tonnages`, `doc_numbers`, `elements`, `dates`...).

Numbers that only look like amounts or tonnages are kept out on purpose:
share counts and percentages have no unit, job counts go to `jobs`, prices
per tonne to `prices`, capacities to `capacity_tonnes`, years never carry a
unit. Vocabulary lives in watcher/data/*.toml.
"""

from __future__ import annotations

import re
from typing import Any

from watcher.analyze.facts._common import find_tonnages, has_digit
from watcher.analyze.facts.money import find_money, summarize_money
from watcher.analyze.facts.names import Names, english_names, find_names
from watcher.analyze.facts.quota import quota_facts
from watcher.analyze.facts.refs import amended_documents, control_codes, dates, doc_numbers, hs_codes, jobs, stake_pct
from watcher.analyze.textnorm import normalize

__all__ = ["extract_facts", "extract_normalized"]

_YEAR = re.compile(r"^((?:19|20)\d{2})")
_QUOTA_KEYS = (
    "mining_tonnes",
    "smelting_tonnes",
    "cumulative_mining_tonnes",
    "cumulative_smelting_tonnes",
    "rock_type_tonnes",
    "ionic_type_tonnes",
    "tungsten_concentrate_tonnes",
    "antimony_tonnes",
    "by_province_tonnes",
    "allocations",
    "annual_mining_tonnes",
    "annual_smelting_tonnes",
    "export_quota_tonnes",
)


def _published_year(published: str | None) -> int | None:
    match = _YEAR.match(published or "")
    return int(match.group(1)) if match else None


def extract_facts(text: str, *, title: str = "", published: str | None = None) -> dict[str, Any]:
    """Typed facts from a change's title and text; `published` (ISO date) resolves 今年 / "this year"."""
    full = "\n".join(normalize(part) for part in (title, text) if part)
    return extract_normalized(full, published=published)


def extract_normalized(full: str, *, published: str | None = None, names: Names | None = None) -> dict[str, Any]:
    """extract_facts() on text already normalised, with parties and elements already found if `names` is
    given (analyze() finds them in the classifier's pass)."""
    if not full:
        return {}
    year = _published_year(published)
    facts: dict[str, Any] = {}
    parties, symbols = find_names(full) if names is None else names
    tonnages = find_tonnages(full)
    facts.update(quota_facts(full, tonnages, year, symbols))
    money = find_money(full)
    facts.update(summarize_money(money))
    if not facts.keys().isdisjoint(_QUOTA_KEYS):
        facts["doc_type"] = "quota"
    elif any(m["kind"] == "amount" for m in money):
        facts["doc_type"] = "deal"

    capacities = [t.value for t in tonnages if t.capacity]
    if capacities:
        facts["capacity_tonnes"] = capacities[0]
    if tonnages:
        facts["tonnages"] = [{"tonnes": t.value, "text": t.text, "capacity": t.capacity} for t in tonnages]
    if money:
        facts["money"] = money
    numbers = doc_numbers(full)
    if numbers:
        facts["doc_numbers"] = numbers
        facts["doc_no"] = numbers[0]
        facts.update(amended_documents(full, numbers[0]))
    elif "nnouncement" in full or "公告" in full:
        facts.update(amended_documents(full, None))
    for key, value in (
        ("control_codes", control_codes(full)),
        ("hs_codes", hs_codes(full)),
        ("elements", symbols),
        ("parties", [name for name, _ in parties]),
        ("parties_en", english_names([name for name, _ in parties])),
        ("jobs", jobs(full) if "job" in full or "岗位" in full else None),
        ("stake_pct", stake_pct(full) if "%" in full else None),
    ):
        if value:
            facts[key] = value
    found = dates(full, year) if has_digit(full) else []
    if found:
        facts["dates"] = found
        effective = [d["date"] for d in found if d["role"] == "effective"]
        until = [d["date"] for d in found if d["role"] == "until"]
        if effective:
            facts["effective_date"] = effective[0]
        if until:
            facts["until_date"] = until[0]
    return facts
