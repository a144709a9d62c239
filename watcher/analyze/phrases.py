"""Noun phrases of a title in English, from its glossary terms: how titles build them (镓、锗相关物项 -> "items
related to gallium and germanium", 锑等物项 -> "antimony and other items", 部分中重稀土 -> "certain medium and heavy
rare earths", 稀土矿钨矿开采 -> "rare earth and tungsten mining"). A shape these rules do not read gives None."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    """One glossary entry: the Chinese, its English as a noun and as a modifier, and its kind."""

    zh: str
    en: str
    attr: str
    kind: str = "noun"
    match: tuple[str, ...] = ()
    material: str = ""  # for clustering: what material it names ("REE" for every rare-earth term)
    concept: str = ""  # for clustering: the concept it stands for, when not its own English


def join_and(parts: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    parts = [part for part in parts if part]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def render(tokens: list[Term]) -> str | None:
    """Compose English from the terms of one noun phrase (the rules in the module docstring)."""
    tokens = [token for token in tokens if token.kind != "drop"]
    quant = ""
    while tokens and tokens[0].kind in ("quant", "related"):
        if tokens[0].kind == "quant":
            quant = tokens[0].en
        tokens = tokens[1:]
    if not tokens:
        return None
    lead = f"{quant} " if quant else ""
    kinds = [token.kind for token in tokens]
    if "related" in kinds:  # X相关Y -> "Y related to X"; 境外相关稀土物项 -> "overseas rare earth items"
        at = len(kinds) - 1 - kinds[::-1].index("related")
        if all(kind == "adj" for kind in kinds[:at]):
            body = _coordinate(tokens[:at] + tokens[at + 1 :])
            return f"{lead}{body}" if body else None
        left, right = _coordinate(tokens[:at]), render(tokens[at + 1 :])
        if not left or not right:
            return None
        return f"{lead}{right} related to {left}"
    if "others" in kinds:  # X等Y -> "X and other Y"; X等 -> "X and others"
        at = kinds.index("others")
        listed = _parts(tokens[:at])
        if not listed:
            return None
        if at == len(tokens) - 1:
            return f"{lead}{', '.join(listed)} and others"
        right = _coordinate(tokens[at + 1 :])
        return f"{lead}{', '.join(listed)} and other {right}" if right else None
    body = _coordinate(tokens)
    return f"{lead}{body}" if body else None


def _coordinate(tokens: list[Term]) -> str | None:
    parts = _parts(tokens)
    return join_and(parts) if parts else None


def _parts(tokens: list[Term]) -> list[str] | None:
    """The parts of a phrase joined by 、/和/及, each a compound. Listed materials before a generic noun share it
    (钨、碲产品 -> "tungsten and tellurium products"); materials in a row are a list (镓锗 -> gallium, germanium)."""
    if not tokens or any(token.kind in ("related", "others", "quant") for token in tokens):
        return None
    parts: list[list[Term]] = [[]]
    for token in tokens:
        if token.kind == "conj":
            parts.append([])
        else:
            parts[-1].append(token)
    if any(not part for part in parts):
        return None
    last = parts[-1]
    if (
        len(parts) > 1
        and len(last) > 1
        and last[-1].kind == "head"
        and all(token.kind == "element" for token in last[:-1])
        and all(len(part) == 1 and part[0].kind == "element" for part in parts[:-1])
    ):
        listed = [part[0] for part in parts[:-1]] + last[:-1]
        return [f"{join_and([token.attr for token in listed])} {last[-1].en}"]
    out: list[str] = []
    for part in parts:
        if len(part) > 1 and all(token.kind == "element" for token in part):
            out.extend(token.en for token in part)
            continue
        text = _compound(part, coordinated=_element_run(part))
        if text is None:
            return None
        out.append(text)
    return out


def _element_run(part: list[Term]) -> int:
    """How many listed materials a compound starts with (镓锗 -> 2): they are coordinated, not stacked."""
    run = 0
    for token in part:
        if token.kind != "element":
            break
        run += 1
    return run if run > 1 else 0


def _compound(part: list[Term], coordinated: int = 0) -> str | None:
    """Nouns in a row: every one but the last as a modifier ("rare earth equipment"); the first
    `coordinated` ones are a list ("gallium and germanium")."""
    if not part:
        return None
    adjectives = []
    while part and part[0].kind == "adj":
        adjectives.append(part[0].en)
        part = part[1:]
        coordinated = max(0, coordinated - 1)
    if not part:
        return None
    if coordinated and coordinated >= len(part):
        return " ".join([*adjectives, join_and([token.en for token in part])])
    words: list[str] = []
    if coordinated:
        listed = part[:coordinated]
        part = part[coordinated:]
        words.append(join_and([token.attr for token in listed]))
    for index, token in enumerate(part):
        last = index == len(part) - 1
        if token.kind == "adj":
            words.append(token.en)
        else:
            words.append(token.en if last else token.attr)  # a generic noun ("head") reads like any other here
    return " ".join([*adjectives, *words])
