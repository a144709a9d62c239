"""What a change reports, in the terms that say whether two changes tell the same story.

Two kinds of evidence are made here, once per change, and stored with each sighting:

* **keys**: the same normalised title, or the same primary document number (`商务部公告2025年第61号`,
  `工信部联原〔2024〕25号`, a Federal Register number). Within the store's window a shared key is one story.
* **story features**: who (parties, resolved to one canonical party through parties.toml aliases in any
  language: 苹果 = Apple), how much (amounts in USD, tonnages), which document and quota batch, which
  elements, what it is about (glossary concepts, one vocabulary for Chinese and English: 稀土磁体 and
  "rare earth magnets" share "rare earth magnet"), and the title's words. `store.stories.agreement` compares
  two sets of features; this module only extracts them, so the comparison is a pure function the store owns.

Title figures count more than body figures: a lead that recalls last week's $400 million deal must not make
today's $500 million deal the same story, so `amounts` and `parties` are read from the title and the
primary amount of the text is kept apart.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from watcher.analyze.titles import MIN_FINGERPRINT, OUTLET_SUFFIX, split_outlet

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LATIN_WORD = re.compile(r"[a-z0-9$€£¥]+(?:[.,][0-9]+)*")
_LEAD = 400  # characters of the text read for figures and concepts besides the title
FEATURES_VERSION = 1


def fingerprint(title: str) -> str:
    """A title reduced to lowercase letters, digits and CJK characters, without the outlet's suffix."""
    text = unicodedata.normalize("NFKC", title or "").strip()
    stripped = OUTLET_SUFFIX.sub("", text)
    if len(stripped) >= MIN_FINGERPRINT:
        text = stripped
    return _NOT_WORD.sub("", _simplified(text).lower())


_ANNOUNCEMENT = re.compile(
    r"公告\s*((?:19|20)\d{2})\s*年?\s*第\s*(\d{1,4})\s*号|Announcement\s+No\.?\s*(\d{1,4})\s+of\s+((?:19|20)\d{2})"
)


def doc_key(doc_no: str) -> str:
    """One spelling of a document number. An announcement is its year and number, however it is written:
    商务部 海关总署公告2025年第18号, 商务部公告2025第18号 and "Announcement No. 18 of 2025" are one document
    (MOFCOM numbers its joint announcements in its own series)."""
    text = _simplified(unicodedata.normalize("NFKC", doc_no))
    announcement = _ANNOUNCEMENT.search(text)
    if announcement:
        year = announcement.group(1) or announcement.group(4)
        number = announcement.group(2) or announcement.group(3)
        return f"公告{year}#{int(number)}"
    return _NOT_WORD.sub("", text)


def cluster_keys(title: str, facts: dict[str, Any] | None = None) -> list[str]:
    keys = []
    printed = fingerprint(title)
    if len(printed) >= MIN_FINGERPRINT:
        keys.append("title:" + printed[:120])
    doc_no = (facts or {}).get("doc_no")
    if isinstance(doc_no, str) and doc_no.strip():
        keys.append("doc:" + doc_key(doc_no))
    return keys


def story_features(title: str, facts: dict[str, Any] | None = None, text: str = "") -> dict[str, Any]:
    """What `store.stories.agreement` compares (JSON-ready, stored with each sighting of an event)."""
    from watcher.analyze.facts.money import find_money
    from watcher.analyze.facts.names import find_names
    from watcher.analyze.glossary import glossary
    from watcher.analyze.headline import read_title
    from watcher.analyze.titles import is_english

    facts = facts or {}
    head, outlet = split_outlet(title)
    normal_head = _simplified(head)
    title_names, title_elements = find_names(normal_head)
    kinds = dict(title_names)
    for name in facts.get("parties") or []:
        kinds.setdefault(name, _party_kind(name))
    title_amounts = [
        m["amount_usd"]
        for m in find_money(normal_head)
        if m.get("kind", "amount") == "amount" and _number(m.get("amount_usd"))
    ]
    lead = _simplified((text or "")[:_LEAD])
    words = glossary()
    concepts = words.concepts(normal_head) or words.concepts(lead)
    elements = list(dict.fromkeys(list(title_elements) + list(facts.get("elements") or [])[:8]))
    features: dict[str, Any] = {
        "v": FEATURES_VERSION,
        "outlet": outlet,
        "title_parties": [name for name, _ in title_names],
        "parties": list(dict.fromkeys([name for name, _ in title_names] + list(facts.get("parties") or [])))[:12],
        "companies": [name for name, kind in kinds.items() if kind in ("company", "fund")],
        "title_amounts": sorted({round(float(value)) for value in title_amounts}),
        "amount": round(float(facts["amount_usd"])) if _number(facts.get("amount_usd")) else None,
        "tonnes": sorted(
            {t["tonnes"] for t in facts.get("tonnages") or [] if not t.get("capacity") and _number(t.get("tonnes"))}
        )[:6],
        "doc": doc_key(facts["doc_no"]) if isinstance(facts.get("doc_no"), str) and facts["doc_no"].strip() else None,
        "quota": [facts.get("year"), facts.get("batch")] if facts.get("year") and facts.get("batch") else None,
        "elements": elements,
        "materials": sorted(set(elements) | words.materials(concepts) | ({"REE"} & {_ree(e) for e in elements})),
        "concepts": sorted(concepts),
        "weights": {concept: words.weight(concept) for concept in sorted(concepts) if words.weight(concept) != 1.0},
        "words": _words(head) if is_english(head) else _words(read_title(normal_head)[1] or ""),
    }
    return features


def _words(text: str) -> str:
    """A title's words for fuzzy comparison: lowercase words and figures; for a Chinese title, the words of
    what the title grammar read it to say ("export controls on technologies related to rare earths")."""
    return " ".join(_LATIN_WORD.findall(text.lower()))


def _ree(symbol: str) -> str:
    """ "REE" for a rare earth element (data/elements.toml groups), else the symbol itself."""
    from watcher.analyze.headline import element_group

    return "REE" if element_group(symbol).endswith("_ree") else symbol


def _party_kind(name: str) -> str:
    from watcher.analyze.facts.names import name_groups

    owners = name_groups()[2]
    found = owners.get(name.lower())
    return found[1] if found else "company"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _simplified(text: str) -> str:
    from watcher.analyze.textnorm import normalize  # loaded with the first event, not at start-up

    return normalize(text)
