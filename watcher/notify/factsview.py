"""Facts in the reader's terms: "Mining quota 135,000 t (+12.5% vs 2023 batch 1)", "US$500 million".

Turns the typed facts of an event into a headline and a few short lines, in English: parties by their
English names (parties.toml), elements by name and symbol, an announcement by its English reference with
the original beneath. Every value from a page goes through the template's escaping (Markdown or plain
text), so this module only formats.
"""

from __future__ import annotations

from typing import Any

from watcher.core.units import format_money, format_tonnes

_QUOTA_FIELDS = (
    ("mining_tonnes", "Mining quota"),
    ("smelting_tonnes", "Smelting/separation quota"),
    ("rock_type_tonnes", "Rock-type (light) mining quota"),
    ("ionic_type_tonnes", "Ionic (medium/heavy) mining quota"),
    ("tungsten_concentrate_tonnes", "Tungsten concentrate quota"),
    ("cumulative_mining_tonnes", "Mining quota, year to date"),
    ("cumulative_smelting_tonnes", "Smelting quota, year to date"),
)
tonnes = format_tonnes
money = format_money


def delta_text(delta: dict[str, Any]) -> str:
    change, pct, against = delta.get("change"), delta.get("pct"), delta.get("against")
    parts = []
    if isinstance(change, int | float):
        parts.append(f"{int(change):+,} t")
    if isinstance(pct, int | float):
        parts.append(f"{pct:+.1f}%")
    text = " / ".join(parts)
    return f"{text} vs {against}" if against and text else text


def batch_text(facts: dict[str, Any]) -> str:
    year, batch = facts.get("year"), facts.get("batch")
    if year and batch:
        return f"{year} batch {batch}"
    return str(year or "")


def withheld_text(facts: dict[str, Any]) -> str:
    """'Figures: not published; last published: 2024 batch 2, 135,000 t mining'."""
    last = facts.get("last_published") or {}
    figures = [
        f"{tonnes(last[key])} {name}"
        for key, name in (("mining_tonnes", "mining"), ("smelting_tonnes", "smelting"))
        if isinstance(last.get(key), int | float)
    ]
    if not figures:
        return "Figures: not published"
    return f"Figures: not published; last published: {batch_text(last) or '?'}, {', '.join(figures[:1])}"


def headline(label: str, title: str, facts: dict[str, Any], publisher: str | None, english: str | None = None) -> str:
    """The one-line summary after the label: the quota figure when there is one, else the English headline
    (`english`, the title itself when it is English), after the publisher unless the headline names its issuer."""
    from watcher.analyze.glossary import glossary
    from watcher.analyze.titles import is_english

    publisher = glossary().english_name(publisher or "")  # a Chinese publisher name never reaches the title
    english = english or title
    names_issuer = not is_english(title) and ": " in english[:90]
    prefix = f"{publisher}: " if publisher and not names_issuer else ""
    if label == "quota":
        for key, name in _QUOTA_FIELDS[:2] + _QUOTA_FIELDS[2:5]:
            if isinstance(facts.get(key), int | float):
                which = name.lower().replace(" quota", "")
                delta = (facts.get("deltas") or {}).get(key) or {}
                pct = f" ({delta['pct']:+.1f}%)" if isinstance(delta.get("pct"), int | float) else ""
                when = batch_text(facts)
                who = f"{publisher}: " if publisher else ""
                return f"{who}{when + ' ' if when else ''}{which} quota {tonnes(facts[key])}{pct}"
    return prefix + english


def fact_lines(facts: dict[str, Any]) -> list[str]:
    """Short readable lines for the alert body, most decisive first."""
    lines: list[str] = []
    deltas = facts.get("deltas") or {}
    when = batch_text(facts)
    if facts.get("figures_withheld"):
        lines.append(withheld_text(facts))
    if when and any(isinstance(facts.get(key), int | float) for key, _ in _QUOTA_FIELDS):
        lines.append(f"Quota batch: {when}")
    for key, name in _QUOTA_FIELDS:
        value = facts.get(key)
        if isinstance(value, int | float):
            delta = deltas.get(key)
            lines.append(f"{name}: {tonnes(value)}" + (f" ({delta_text(delta)})" if delta else ""))
    for allocation in facts.get("allocations") or []:
        figures = ", ".join(
            f"{key.split('_')[0]} {tonnes(value)}" for key, value in allocation.items() if key.endswith("_tonnes")
        )
        lines.append(f"Allocation: {allocation.get('company', '?')}: {figures}")
    provinces = facts.get("by_province_tonnes") or {}
    if provinces:
        lines.append("By province: " + ", ".join(f"{name} {tonnes(value)}" for name, value in provinces.items()))
    money_entries = facts.get("money") or []
    amounts = [entry for entry in money_entries if entry.get("kind", "amount") == "amount"]
    prices = [entry for entry in money_entries if entry.get("kind") == "price"]
    if amounts:
        shown = []
        for entry in amounts[:5]:
            text = money(entry.get("amount"), entry.get("currency"))
            if entry.get("currency") not in (None, "USD") and isinstance(entry.get("amount_usd"), int | float):
                text += f" (≈ {money(entry['amount_usd'])})"
            qualifier = entry.get("qualifier")
            what = entry.get("what")
            shown.append(" ".join(part for part in (qualifier, text, f"— {what}" if what else "") if part))
        lines.append("Amounts: " + "; ".join(dict.fromkeys(shown)))  # a feed that repeats its title says it once
    elif isinstance(facts.get("amount"), int | float):
        lines.append(f"Amount: {money(facts['amount'], facts.get('currency'))}")
    if prices and not amounts:
        lines.append(
            "Prices: "
            + "; ".join(entry.get("text") or money(entry.get("amount"), entry.get("currency")) for entry in prices[:3])
        )
    if isinstance(facts.get("previous_amount_usd"), int | float):
        lines.append(f"Previously: {money(facts['previous_amount_usd'])}")
    if facts.get("elements"):
        lines.append("Elements: " + ", ".join(element_text(symbol) for symbol in facts["elements"]))
    if facts.get("doc_no"):
        lines.append(f"Document: {document_text(str(facts['doc_no']))}")
    for key, name in (
        ("suspends", "Suspends"),
        ("amends", "Amends"),
        ("effective_date", "Effective"),
        ("until_date", "Until"),
        ("control_codes", "Control codes"),
        ("hs_codes", "HS codes"),
    ):
        value = facts.get(key)
        if value and key in ("suspends", "amends"):
            lines.append(f"{name}: " + "; ".join(document_text(str(doc), original=False) for doc in value[:8]))
        elif value:
            lines.append(f"{name}: " + (", ".join(map(str, value)) if isinstance(value, list) else str(value)))
    if facts.get("parties"):
        lines.append("Parties: " + ", ".join(english_parties(facts["parties"])[:8]))
    if isinstance(facts.get("capacity_tonnes"), int | float):
        lines.append(f"Capacity: {tonnes(facts['capacity_tonnes'])} a year")
    return lines


def english_parties(parties: list[str]) -> list[str]:
    """Each party by its English name where parties.toml has one (工业和信息化部 -> MIIT), else as written."""
    from watcher.analyze.facts.names import english_names

    return list(dict.fromkeys((english_names([name]) or [name])[0] for name in parties))


def element_text(symbol: str) -> str:
    """ "Dy" -> "dysprosium (Dy)"; a material without a symbol ("graphite") as itself."""
    from watcher.analyze.headline import element_name

    name = element_name(symbol)
    return name if name == symbol or name.lower() == symbol.lower() else f"{name} ({symbol})"


def document_text(doc_no: str, original: bool = True) -> str:
    """An announcement in English (with the original after it); other document numbers as written."""
    from watcher.analyze.headline import document_references
    from watcher.analyze.textnorm import normalize
    from watcher.analyze.titles import is_english

    if is_english(doc_no):
        return doc_no
    english = document_references(normalize(doc_no))
    if not english:
        return doc_no
    return f"{english} ({doc_no})" if original else english
