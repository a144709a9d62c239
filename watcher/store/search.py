"""Full-text search over events: an FTS5 trigram index kept by triggers, and the query that reads it.

The index (`event_search`) holds one row per event, rowid = event id, with three columns: the titles (the
event's and every outlet's), the text (the summary and the text of every change of the story) and the facts'
values. Triggers on `events`, `event_sources` and `changes` rebuild an event's row inside the very
statement that changed them, so the index is always in the writer's transaction: an event written,
merged, edited or deleted (retention) is searchable, or gone, exactly when that transaction commits,
whichever code wrote it.

The trigram tokenizer finds any substring of three or more characters, Chinese included, without word
segmentation. A term of one or two characters (`镓`, `稀土`, `Dy`) has no trigram of its own; every column
ends with two newlines, so each occurrence of such a term is the start of some indexed trigram, and the
term is searched as the OR of the index's trigrams that begin with it (read from the `fts5vocab` table).
Both ways match exactly the events whose text contains the term, case-insensitively.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

# Everything one event's index row is made of; `{id}` is the event id expression of the trigger. Delete and
# insert rather than INSERT OR REPLACE: a trigger's conflict clause yields to its outer statement's (the
# `INSERT OR IGNORE INTO event_sources` that adds an outlet), and FTS5 refuses a duplicate rowid under IGNORE.
# Issue 12's English headline joins the first column here when events get one.
_ROW = """
DELETE FROM event_search WHERE rowid = {id};
INSERT INTO event_search (rowid, titles, body, facts)
SELECT e.id,
    e.title || char(10) || COALESCE((SELECT group_concat(title, char(10)) FROM event_sources
        WHERE event_id = e.id AND title IS NOT NULL), '') || char(10, 10),
    COALESCE(e.summary, '') || char(10) || COALESCE((SELECT group_concat(text, char(10)) FROM changes
        WHERE event_id = e.id AND text IS NOT NULL), '') || char(10, 10),
    COALESCE((SELECT group_concat(value, char(10))
        FROM json_tree(CASE WHEN json_valid(e.facts) THEN e.facts ELSE '{{}}' END)
        WHERE type IN ('text', 'integer', 'real')), '') || char(10, 10)
FROM events e WHERE e.id = {id}
"""

# (trigger name, event and table, condition or "", the statements)
_TRIGGERS = [
    ("event_search_insert", "AFTER INSERT ON events", "", [_ROW.format(id="new.id")]),
    (
        "event_search_update",
        "AFTER UPDATE OF title, summary, facts ON events",
        "",
        [_ROW.format(id="new.id")],
    ),
    ("event_search_delete", "AFTER DELETE ON events", "", ["DELETE FROM event_search WHERE rowid = old.id"]),
    ("event_search_outlet_insert", "AFTER INSERT ON event_sources", "", [_ROW.format(id="new.event_id")]),
    ("event_search_outlet_update", "AFTER UPDATE ON event_sources", "", [_ROW.format(id="new.event_id")]),
    ("event_search_outlet_delete", "AFTER DELETE ON event_sources", "", [_ROW.format(id="old.event_id")]),
    (
        "event_search_change_insert",
        "AFTER INSERT ON changes",
        "WHEN new.event_id IS NOT NULL",
        [_ROW.format(id="new.event_id")],
    ),
    (
        "event_search_change_update",
        "AFTER UPDATE OF event_id, text ON changes",
        "",
        [_ROW.format(id="old.event_id"), _ROW.format(id="new.event_id")],
    ),
    (
        "event_search_change_delete",
        "AFTER DELETE ON changes",
        "WHEN old.event_id IS NOT NULL",
        [_ROW.format(id="old.event_id")],
    ),
]


def create_index(db: Database) -> None:
    """Create the index, its vocabulary view and triggers, and index every event already stored."""
    db.execute("CREATE VIRTUAL TABLE event_search USING fts5(titles, body, facts, tokenize = 'trigram')")
    db.execute("CREATE VIRTUAL TABLE event_search_terms USING fts5vocab(event_search, 'row')")
    for name, when, condition, statements in _TRIGGERS:
        body = ";\n".join(statement.strip() for statement in statements)
        db.execute(f"CREATE TRIGGER {name} {when} {condition} BEGIN\n{body};\nEND")
    db.execute(_ROW.split(";")[1].format(id="e.id"))  # every event: "WHERE e.id = e.id"


# -- queries -------------------------------------------------------------------------------------------------

_TERM = re.compile(r'"([^"]*)"|(\S+)')
_LAST = "\U0010ffff"  # above every character: the upper bound of a prefix range of index terms
SHORT = 3  # terms shorter than this are searched through the trigrams that begin with them
MAX_EXPANSION = 5000  # trigrams one short term may stand for (a very common character); more is refused


class QueryTooBroad(ValueError):
    """A one- or two-character term that begins more index trigrams than a query may OR together."""


def terms(text: str) -> list[str]:
    """The search terms of `text`: words separated by spaces, or "quoted phrases"; every one must match."""
    found = []
    for quoted, word in _TERM.findall(text):
        term = (quoted if quoted else word).strip()
        if term:
            found.append(term)
    return found


def match_expression(db: Database, text: str) -> str | None:
    """The FTS5 MATCH expression for `text`, or None when some term cannot match any event.

    Raises QueryTooBroad when a short term is too common to expand; the caller says so to the reader.
    """
    parts = []
    for term in terms(text):
        if len(term) >= SHORT:
            parts.append(_phrase(term))
            continue
        prefix = term.lower()
        rows = db.execute(
            "SELECT term FROM event_search_terms WHERE term >= ? AND term < ? LIMIT ?",
            [prefix, prefix + _LAST, MAX_EXPANSION + 1],
        ).fetchall()
        if not rows:
            return None
        if len(rows) > MAX_EXPANSION:
            raise QueryTooBroad(
                f"{term!r} begins more than {MAX_EXPANSION} different three-character sequences in the index: "
                "add a character, or another term"
            )
        parts.append("(" + " OR ".join(_phrase(row[0]) for row in rows) + ")")
    return " AND ".join(parts) if parts else None


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
