"""Compare a source's current items with the stored ones: new, changed, removed.

Pure functions over plain data. Items that left the page are remembered, so
one that comes back (a list that pages back, a feed that re-sorts) is not
reported as new a second time.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from watcher.core.models import Change, Item


@dataclass(frozen=True, slots=True)
class StoredItem:
    id: str
    hash: str
    title: str
    url: str
    published: str | None
    text: str
    gone: bool


def diff_items(
    source: str, items: list[Item], stored: dict[str, StoredItem], *, line_diff: bool = False
) -> list[Change]:
    """The changes that turn `stored` into `items`, in page order, then removals."""
    changes: list[Change] = []
    current_ids = set()
    for item in items:
        current_ids.add(item.id)
        before = stored.get(item.id)
        if before is None:
            changes.append(Change(source, "new", item))
        elif before.hash != item.hash:
            diff = text_diff(before.text, item.text) if line_diff else None
            if diff == "":
                continue  # only whitespace or order moved: nothing for a reader
            changes.append(Change(source, "changed", item, previous_text=before.text, diff=diff))
    for before in stored.values():
        if not before.gone and before.id not in current_ids:
            gone = Item(id=before.id, title=before.title, url=before.url, published=before.published, text=before.text)
            changes.append(Change(source, "removed", gone))
    return changes


def text_diff(old: str, new: str) -> str:
    """Added lines as `+ line` and removed lines as `- line`, in document order."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            out.extend(f"- {line}" for line in old_lines[i1:i2])
        if tag in ("replace", "insert"):
            out.extend(f"+ {line}" for line in new_lines[j1:j2])
    return "\n".join(out)
