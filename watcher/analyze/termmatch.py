"""Find lexicon terms in text fast: dict lookups for words, substring lookups for Chinese.

A naive alternation of several hundred terms costs ~0.2 ms per headline; the
classifier runs on every change of every source, so terms are sorted by how
they can be found cheaply:

* Latin-script terms -> word n-grams looked up in a dict (plural `s`/`es`/`ies`
  accepted), `word*` -> a prefix lookup; what a word can start is memoised;
* Chinese terms -> substring lookups at the characters that start a term;
* `A .. B` proximity terms -> the spans of each part, noted during the same
  pass over the words, then chained;
* `re:` patterns -> regexes, skipped when none of their group's `hint`
  strings is in the text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

_TOKEN = re.compile(r"[a-z0-9]+")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
NEAR = " .. "


@dataclass(frozen=True)
class Group:
    """Terms that count as one piece of evidence for a label (or for the relevance gate)."""

    section: str  # "gate" or a label
    weight: float
    terms: tuple[str, ...]
    all_of: bool = False  # the group scores only if every term is present
    name: str = ""
    hint: tuple[str, ...] = ()  # `re:` terms of the group run only if one of these strings is in the text
    decisive: bool = False  # a term of the group found (not in passing) fixes the label, whatever the model says


class Hit(NamedTuple):
    """One occurrence of a term (a NamedTuple: cheap to create, and thousands are made per second)."""

    group: int  # index into the matcher's groups
    term: str  # as written in the lexicon
    start: int
    end: int
    literal: bool = True  # proximity and regex hits span several words and never hide other hits
    parts: tuple[tuple[int, int], ...] = ()  # for `A .. B`: where A and B are (shown as "A … B")


@dataclass(frozen=True, slots=True)
class _Part:
    """One side of an `A .. B` term: words (the last may be a prefix) or a Chinese string."""

    words: tuple[str, ...] = ()
    wildcard: bool = False
    cjk: str = ""

    @property
    def anchor(self) -> str:
        return self.cjk or self.words[0]


def _part(text: str) -> _Part:
    if _HAS_CJK.search(text):
        return _Part(cjk=text.lower())
    words = tuple(_TOKEN.findall(text.lower()))
    if not words:
        raise ValueError(f"term part {text!r} has no words")
    return _Part(words, text.endswith("*"))


def _word_ok(word: str, want: str, wildcard: bool) -> bool:
    if wildcard:
        return word.startswith(want)
    return word == want or word in (want + "s", want + "es")


def _cjk_spans(literal: str, text: str) -> list[tuple[int, int]]:
    spans, at = [], text.find(literal)
    while at >= 0:
        spans.append((at, at + len(literal)))
        at = text.find(literal, at + 1)
    return spans


class Matcher:
    """All terms of all groups, compiled for one pass over a text."""

    def __init__(self, groups: list[Group], near_chars: int = 30) -> None:
        self.groups = tuple(groups)
        self._ngrams: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self._prefix1: dict[int, dict[str, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
        self._prefix_multi: dict[str, list[tuple[tuple[str, ...], str, int, str]]] = defaultdict(list)
        self._cjk: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self._patterns: list[tuple[re.Pattern[str], tuple[str, ...], int, str]] = []
        self._near: list[tuple[tuple[_Part, ...], int, str]] = []
        self._near_chars = near_chars
        for index, group in enumerate(groups):
            for term in group.terms:
                self._add(index, term.strip(), near_chars)
        self._word_cache: dict[str, tuple] = {}
        # a group's `re:` terms run as one search: the first that matches is the group's evidence
        by_group: dict[int, list[tuple[re.Pattern[str], tuple[str, ...], int, str]]] = defaultdict(list)
        for entry in self._patterns:
            by_group[entry[2]].append(entry)
        self._pattern_groups = []
        for group_index, entries in by_group.items():
            offsets, number = [], 1  # the number of each term's outer group in the combined pattern
            for pattern, _, _, _ in entries:
                offsets.append(number)
                number += 1 + pattern.groups
            combined = re.compile("|".join(f"({p.pattern})" for p, _, _, _ in entries), re.S)
            terms = tuple(zip(offsets, (term for _, _, _, term in entries), strict=True))
            self._pattern_groups.append((combined, entries[0][1], group_index, terms))
        # without wildcard or proximity terms, a text none of whose words starts a term has no Latin hit
        self._plain_words = (
            None if (self._prefix1 or self._prefix_multi or self._near) else {key.split(" ")[0] for key in self._ngrams}
        )
        # first character of Chinese terms -> the lengths of the terms starting with it
        starts: dict[str, set[int]] = defaultdict(set)
        for word in self._cjk:
            starts[word[0]].add(len(word))
        self._cjk_starts = {char: tuple(sorted(lengths)) for char, lengths in starts.items()}
        self._cjk_first = (
            re.compile("[" + "".join(re.escape(char) for char in sorted(starts)) + "]")
            if starts
            else re.compile("(?!)")
        )
        # multi-word terms: every proper prefix ("rare", "rare earth" of "rare earth element")
        self._ngram_heads = {" ".join(key.split(" ")[:n]) for key in self._ngrams for n in range(1, key.count(" ") + 1)}
        self._head_len = min(self._prefix1, default=1)
        self._prefix_heads = {prefix[: self._head_len] for table in self._prefix1.values() for prefix in table}
        # proximity terms: parts are numbered; a word's memoised info says which Latin parts it starts
        self._parts: list[_Part] = list(dict.fromkeys(part for parts, _, _ in self._near for part in parts))
        part_id = {part: number for number, part in enumerate(self._parts)}
        self._near_terms = [(tuple(part_id[p] for p in parts), group, term) for parts, group, term in self._near]
        # which parts a word starts: by the exact first word (plurals too), or by prefix for `word*` parts
        self._part_exact: dict[str, list[tuple[int, _Part]]] = defaultdict(list)
        self._part_prefix: dict[int, dict[str, list[tuple[int, _Part]]]] = defaultdict(lambda: defaultdict(list))
        for number, part in enumerate(self._parts):
            if part.cjk:
                continue
            first = part.words[0]
            if len(part.words) > 1:
                self._part_exact[first].append((number, part))
            elif part.wildcard:
                self._part_prefix[len(first)][first].append((number, part))
            else:
                for variant in (first, first + "s", first + "es"):
                    self._part_exact[variant].append((number, part))
        self._near_by_first: dict[int, list[int]] = defaultdict(list)
        self._near_cjk_first: list[int] = []
        for number, (ids, _, _) in enumerate(self._near_terms):
            if self._parts[ids[0]].cjk:
                self._near_cjk_first.append(number)
            else:
                self._near_by_first[ids[0]].append(number)

    def _add(self, index: int, term: str, near_chars: int) -> None:
        where = f"{self.groups[index].name}: term {term!r}"
        if term.startswith("re:"):
            try:
                hint = tuple(h.lower() for h in self.groups[index].hint)
                self._patterns.append((re.compile(term[3:], re.S), hint, index, term))
            except re.error as error:
                raise ValueError(f"{where}: bad regular expression: {error}") from None
        elif NEAR in term:
            try:
                parts = tuple(_part(p.strip()) for p in term.split(NEAR))
            except ValueError as error:
                raise ValueError(f"{where}: {error}") from None
            self._near.append((parts, index, term))
        elif _HAS_CJK.search(term):
            if not _HAS_CJK.match(term):
                raise ValueError(
                    f"{where}: a Chinese term must start with a Chinese character "
                    f"(write the Latin part as its own word: '232 .. 调查')"
                )
            self._cjk[term.lower()].append((index, term))
        else:
            words = _TOKEN.findall(term.lower())
            if not words:
                raise ValueError(f"{where}: no letters or digits to match")
            if term.endswith("*"):
                if len(words) == 1:
                    self._prefix1[len(words[0])][words[0]].append((index, term))
                else:
                    self._prefix_multi[words[0]].append((tuple(words[1:-1]), words[-1], index, term))
                return
            last = words[-1]
            variants = {last, last + "s", last + "es"}
            if last.endswith("y"):
                variants.add(last[:-1] + "ies")
            for variant in variants:
                self._ngrams[" ".join([*words[:-1], variant])].append((index, term))

    def _word_info(self, word: str) -> tuple:
        """What one word can start: its own terms (exact or by prefix), longer terms, wildcard phrases. Memoised:
        headlines reuse a small vocabulary, so most words are looked up once per process."""
        single = list(self._ngrams.get(word, ()))
        if word[: self._head_len] in self._prefix_heads:
            for length, table in self._prefix1.items():
                single.extend(table.get(word[:length], ()))
        starts = list(self._part_exact.get(word, ()))
        for length, parts in self._part_prefix.items():
            starts.extend(parts.get(word[:length], ()))
        info: tuple = (tuple(single), word in self._ngram_heads, tuple(self._prefix_multi.get(word, ())), tuple(starts))
        if not (single or info[1] or info[2] or starts):
            info = ()  # most words start nothing: one falsy test in the hot loop
        if len(self._word_cache) > 100_000:
            self._word_cache.clear()
        self._word_cache[word] = info
        return info

    def find(self, text: str) -> list[Hit]:
        """Every term occurrence in `text`, which must already be normalised and lower-cased."""
        hits: list[Hit] = []
        if self._plain_words is not None and self._plain_words.isdisjoint(_TOKEN.findall(text)):
            tokens: list[tuple[str, int, int]] = []  # no word can start a term (only for matchers without wildcards)
        else:
            tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        count = len(tokens)
        ngrams, heads, info_of, word_info = self._ngrams, self._ngram_heads, self._word_cache.get, self._word_info
        part_spans: dict[int, list[tuple[int, int]]] = {}
        for i, (word, start, end) in enumerate(tokens):
            info = info_of(word)
            if info is None:
                info = word_info(word)
            if not info:
                continue
            single, is_head, multi, parts = info
            for g, t in single:
                hits.append(Hit(g, t, start, end))
            if is_head:
                key = word
                for j in range(i + 1, count):
                    key = key + " " + tokens[j][0]
                    found = ngrams.get(key)
                    if found:
                        hits.extend(Hit(g, t, start, tokens[j][2]) for g, t in found)
                    if key not in heads:
                        break
            for middle, last, group, term in multi:
                j = i + 1 + len(middle)
                if (
                    j < count
                    and tokens[j][0].startswith(last)
                    and all(tokens[i + 1 + k][0] == w for k, w in enumerate(middle))
                ):
                    hits.append(Hit(group, term, start, tokens[j][2]))
            for number, part in parts:
                words = part.words
                if len(words) == 1:
                    part_spans.setdefault(number, []).append((start, end))
                    continue
                j = i + len(words) - 1
                if (
                    j < count
                    and all(tokens[i + k][0] == words[k] for k in range(1, len(words) - 1))
                    and _word_ok(tokens[j][0], words[-1], part.wildcard)
                ):
                    part_spans.setdefault(number, []).append((start, tokens[j][2]))
        cjk = not text.isascii()
        if cjk and self._cjk_starts:
            self._find_cjk(text, hits)
        if part_spans or (cjk and self._near_cjk_first):
            self._find_near(text, part_spans, cjk, hits)
        for pattern, hint, group, terms in self._pattern_groups:
            if hint and not any(h in text for h in hint):
                continue
            match = pattern.search(text)
            if match:
                term = next(term for number, term in terms if match.group(number) is not None)
                hits.append(Hit(group, term, match.start(), match.end(), literal=False))
        return self._drop_contained(hits)

    def _find_near(self, text: str, part_spans: dict[int, list[tuple[int, int]]], cjk: bool, hits: list[Hit]) -> None:
        candidates = [n for first in part_spans for n in self._near_by_first.get(first, ())]
        if cjk:
            candidates.extend(self._near_cjk_first)
        for number in candidates:
            ids, group, term = self._near_terms[number]
            spans = []
            for pid in ids:
                found = part_spans.get(pid)
                if found is None and cjk and self._parts[pid].cjk:
                    found = part_spans[pid] = _cjk_spans(self._parts[pid].cjk, text)
                if not found:
                    break
                spans.append(found)
            else:
                chain = self._chain(spans)
                if chain:
                    hits.append(Hit(group, term, chain[0][0], chain[-1][1], literal=False, parts=chain))

    def _chain(self, spans: list[list[tuple[int, int]]]) -> tuple[tuple[int, int], ...] | None:
        """The first chain of spans A, B (, C...) where each part starts at most `near_chars` after the last."""
        for first in spans[0]:
            chain = [first]
            for candidates in spans[1:]:
                end = chain[-1][1]
                following = next((c for c in candidates if end <= c[0] <= end + self._near_chars), None)
                if following is None:
                    break
                chain.append(following)
            if len(chain) == len(spans):
                return tuple(chain)
        return None

    def _find_cjk(self, text: str, hits: list[Hit]) -> None:
        """At each character that starts some Chinese term, look up the substrings of the lengths such terms have.

        A character class finds those characters in C; a trie-shaped regex is slower here, since the regex
        engine tries its top-level branches one by one."""
        starts, table = self._cjk_starts, self._cjk
        size = len(text)
        for match in self._cjk_first.finditer(text):
            i = match.start()
            for length in starts[match.group()]:
                if i + length <= size:
                    found = table.get(text[i : i + length])
                    if found:
                        for g, t in found:
                            hits.append(Hit(g, t, i, i + length))

    def _drop_contained(self, hits: list[Hit]) -> list[Hit]:
        """A literal hit inside a longer literal hit of the same section is the same evidence: keep the longer."""
        if len(hits) < 2:
            return hits
        groups = self.groups
        literal = [groups[hit.group].section for hit in hits if hit.literal]
        if len(set(literal)) == len(literal):
            return hits  # no section has two literal hits: nothing can be inside another
        reach: dict[str, tuple[int, int]] = {}  # section -> (start, end) of the hit reaching furthest so far
        drop = []
        for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
            if not hit.literal:
                continue
            section = groups[hit.group].section
            seen = reach.get(section)
            if seen is not None and seen[1] >= hit.end and (seen[0] < hit.start or seen[1] > hit.end):
                drop.append(hit)
            elif seen is None or hit.end > seen[1]:
                reach[section] = (hit.start, hit.end)
        if not drop:
            return hits
        gone = set(map(id, drop))
        return [hit for hit in hits if id(hit) not in gone]
