"""A minimal reference pipeline: the least work a design like watcher's has to do per check.

It stands for the limit of that design, so that watcher's numbers can be read
as "how far from the floor", not only "how far from urlwatch". One pass:

- read the same sources.toml as watcher (`[[source]]` with `name`, `url`,
  `item` and optional `title`, `link`, `date` CSS selectors);
- 8 threads, one `requests.Session` each (keep-alive), a conditional GET with
  the stored ETag / Last-Modified;
- charset from the Content-Type header, else `<meta charset>`, else UTF-8,
  reading gb2312/gbk as gb18030 (its superset, as browsers do);
- `lxml.html` and a compiled `cssselect` selector per thread to pick the items;
  title = first link's title attribute or its text, url = its href made
  absolute, published = first date-looking text; an item's id is the hash of
  its url, its content hash covers title, url and date;
- one SQLite transaction (stdlib sqlite3, WAL) for the whole pass: a check row
  per source, validators, and new or edited items.

A source seen for the first time is a silent baseline. New and edited items
are printed as JSON lines with watcher's keys: source, change, id, title, url,
published.

    python bench/reference.py --sources sources.toml --state DIR [--workers 8]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sqlite3
import sys
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import requests
from lxml.cssselect import CSSSelector

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (source TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, body_hash TEXT,
                                  checked_at TEXT);
CREATE TABLE IF NOT EXISTS items (source TEXT NOT NULL, id TEXT NOT NULL, hash TEXT NOT NULL, title TEXT,
                                  url TEXT, published TEXT, first_seen TEXT, PRIMARY KEY (source, id));
CREATE TABLE IF NOT EXISTS checks (id INTEGER PRIMARY KEY, source TEXT NOT NULL, at TEXT NOT NULL,
                                   http_status INTEGER, items INTEGER, new INTEGER, error TEXT);
"""

CHARSET_HEADER = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
CHARSET_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.I)
DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
GB = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "gb18030"}


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    url: str
    item: str
    title: str | None = None
    link: str | None = None
    date: str | None = None


@dataclass(slots=True)
class Outcome:
    source: Source
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    items: list[tuple[str, str, str, str, str | None]] | None = None  # id, hash, title, url, published
    error: str | None = None


def load_sources(path: Path) -> list[Source]:
    with path.open("rb") as handle:
        config = tomllib.load(handle)
    return [
        Source(s["name"], s["url"], s["item"], s.get("title"), s.get("link"), s.get("date"))
        for s in config.get("source", [])
    ]


def charset_of(content_type: str, body: bytes) -> str:
    """Header, then <meta> in the first 4 KB, then UTF-8; the GB family is read as gb18030."""
    header = CHARSET_HEADER.search(content_type)
    if header:
        name = header.group(1)
    else:
        meta = CHARSET_META.search(body[:4096])
        name = meta.group(1).decode("ascii") if meta else "utf-8"
    name = name.lower()
    return "gb18030" if name in GB else name


def _hash(*parts: str | None) -> str:
    return hashlib.blake2b("\x1f".join(part or "" for part in parts).encode(), digest_size=12).hexdigest()


class Worker:
    """Per-thread state: a keep-alive session and compiled selectors (lxml XPath objects are not shared)."""

    local = threading.local()

    @classmethod
    def session(cls) -> requests.Session:
        if not hasattr(cls.local, "session"):
            cls.local.session = requests.Session()
            cls.local.selectors = {}
        return cls.local.session

    @classmethod
    def selector(cls, css: str) -> CSSSelector:
        selectors = cls.local.selectors
        if css not in selectors:
            selectors[css] = CSSSelector(css)
        return selectors[css]


def extract(source: Source, html: str, base_url: str) -> list[tuple[str, str, str, str, str | None]]:
    root = lxml.html.fromstring(html)
    items = []
    for element in Worker.selector(source.item)(root):
        anchors = Worker.selector(source.link or "a")(element)
        anchor = anchors[0] if anchors else None
        if source.title:
            found = Worker.selector(source.title)(element)
            title = found[0].text_content().strip() if found else ""
        elif anchor is not None:
            title = (anchor.get("title") or anchor.text_content()).strip()
        else:
            title = element.text_content().strip()
        url = urljoin(base_url, anchor.get("href", "")) if anchor is not None else base_url
        text = Worker.selector(source.date)(element)[0].text_content() if source.date else element.text_content()
        match = DATE.search(text)
        published = f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}" if match else None
        items.append((_hash(url), _hash(title, url, published), title, url, published))
    return items


def check(source: Source, known: tuple[str | None, str | None, str | None] | None, timeout: float) -> Outcome:
    outcome = Outcome(source)
    headers = {"User-Agent": "watcher-bench-reference/1"}
    if known and known[0]:
        headers["If-None-Match"] = known[0]
    if known and known[1]:
        headers["If-Modified-Since"] = known[1]
    try:
        response = Worker.session().get(source.url, headers=headers, timeout=timeout)
        outcome.status = response.status_code
        if response.status_code == 304:
            return outcome
        response.raise_for_status()
        outcome.etag = response.headers.get("ETag")
        outcome.last_modified = response.headers.get("Last-Modified")
        body = response.content
        outcome.body_hash = hashlib.blake2b(body, digest_size=16).hexdigest()
        if known and known[2] == outcome.body_hash:
            return outcome  # same bytes as last time: nothing to parse
        text = body.decode(charset_of(response.headers.get("Content-Type", ""), body), "replace")
        outcome.items = extract(source, text, response.url)
    except (requests.RequestException, ValueError, LookupError) as error:
        outcome.error = f"{type(error).__name__}: {error}"
    return outcome


def open_db(state: Path) -> sqlite3.Connection:
    state.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(state / "reference.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


def record(db: sqlite3.Connection, outcomes: list[Outcome], known: dict, now: str) -> list[dict]:
    """Write the whole pass in one transaction; return the changes to print."""
    changes: list[dict] = []
    db.execute("BEGIN")
    for outcome in outcomes:
        name = outcome.source.name
        new = 0
        if outcome.items is not None:
            baseline = name not in known
            stored = dict(db.execute("SELECT id, hash FROM items WHERE source = ?", (name,)).fetchall())
            for item_id, item_hash, title, url, published in outcome.items:
                previous = stored.get(item_id)
                if previous == item_hash:
                    continue
                db.execute(
                    "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (name, item_id, item_hash, title, url, published, now),
                )
                if not baseline:
                    new += previous is None
                    changes.append(
                        {
                            "source": name,
                            "change": "new" if previous is None else "changed",
                            "id": item_id,
                            "title": title,
                            "url": url,
                            "published": published,
                        }
                    )
        if outcome.status == 200 and outcome.error is None:
            db.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?)",
                (name, outcome.etag, outcome.last_modified, outcome.body_hash, now),
            )
        elif outcome.status == 304:
            db.execute("UPDATE pages SET checked_at = ? WHERE source = ?", (now, name))
        db.execute(
            "INSERT INTO checks (source, at, http_status, items, new, error) VALUES (?, ?, ?, ?, ?, ?)",
            (name, now, outcome.status, len(outcome.items or ()), new, outcome.error),
        )
    db.execute("COMMIT")
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One pass of the minimal reference pipeline.")
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args(argv)

    sources = load_sources(args.sources)
    db = open_db(args.state)
    known = {row[0]: row[1:] for row in db.execute("SELECT source, etag, last_modified, body_hash FROM pages")}
    started = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        outcomes = list(pool.map(lambda s: check(s, known.get(s.name), args.timeout), sources))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    changes = record(db, outcomes, known, now)
    db.close()
    out = sys.stdout
    for change in changes:
        out.write(json.dumps(change, ensure_ascii=False) + "\n")
    errors = [o for o in outcomes if o.error]
    for outcome in errors:
        print(f"error: {outcome.source.name}: {outcome.error}", file=sys.stderr)
    print(
        f"checked {len(sources)} sources in {time.perf_counter() - started:.2f}s, {len(changes)} changes, "
        f"{len(errors)} errors",
        file=sys.stderr,
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
