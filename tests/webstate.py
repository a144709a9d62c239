"""A state for the web view's tests, filled the way users fill theirs: `watcher demo --keep`, then real checks
of loopback sources (one with markup in its titles, one failing), and the oracle that says which events a
filter or search must return, computed from the stored rows without the search index."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from conftest import source_entry
from loopback import Site

SCRIPT_TITLE = "<script>alert('x')</script> 镓 export controls on gallium"
LOOPBACK_TITLES = [
    SCRIPT_TITLE,
    "商务部 海关总署公告 关于对镓、锗相关物项实施出口管制的公告",
    "Gallium and germanium export controls take effect",
    "稀土 price rally: NdPr oxide up 5% on export licence delays",
    '=HYPERLINK("http://evil.example") quarterly report of a rare earth miner',
]


@dataclass
class WebState:
    root: Path
    state: Path
    sources: Path
    site: Site

    def oracle(self, *, text: str = "", labels=(), severities=(), sources=(), since: str | None = None) -> list[int]:
        """Ids of matching events, newest first, by reading every stored row (no index involved)."""
        from watcher.store.search import terms

        db = sqlite3.connect(self.state / "watcher.db")
        found = []
        for row in db.execute("SELECT id, source, label, severity, title, summary, facts, first_seen FROM events"):
            event_id, source, label, severity, title, summary, facts, first_seen = row
            outlets = db.execute("SELECT source, title FROM event_sources WHERE event_id = ?", [event_id]).fetchall()
            texts = [t for (t,) in db.execute("SELECT text FROM changes WHERE event_id = ?", [event_id]) if t]
            if (labels and label not in labels) or (severities and severity not in severities):
                continue
            if sources and source not in sources and not any(o[0] in sources for o in outlets):
                continue
            if since and first_seen < since:
                continue
            columns = [
                "\n".join([title, *(o[1] for o in outlets if o[1])]),
                "\n".join([summary or "", *texts]),
                "\n".join(_fact_values(json.loads(facts))),
            ]
            if all(any(term.lower() in column.lower() for column in columns) for term in terms(text)):
                found.append(event_id)
        db.close()
        return sorted(found, reverse=True)


def _fact_values(value) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _fact_values(item)]
    if isinstance(value, list):
        return [text for item in value for text in _fact_values(item)]
    if isinstance(value, bool) or value is None:
        return [str(int(value))] if isinstance(value, bool) else []
    return [str(value)]


def build(root: Path) -> WebState:
    """Run the demo into `root`, then check loopback sources into the same state."""
    from watcher.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["demo", "--pause", "0", "--keep", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    site = Site()
    site.add("/wire", _list_page(["Weekly bulletin"]))
    site.add("/press", _list_page(["Quarterly results calendar"]))
    sources = root / "loopback.toml"
    sources.write_text(
        '[settings]\nhost_interval = "0s"\n\n'
        + source_entry("loopback-wire", site.url("/wire"), item="li")
        + source_entry("loopback-press", site.url("/press"), item="li")
        + source_entry("loopback-dead", site.url("/gone"), item="li", retries=0),
        "utf-8",
    )
    base = ["--sources", str(sources), "--state", str(root / "state"), "--alerts", str(root / "alerts")]
    for _ in range(2):  # the first check is a silent baseline
        assert runner.invoke(cli, [*base, "check"], catch_exceptions=False).exit_code == 0
        site.pages["/wire"].set_body(_list_page(["Weekly bulletin", *LOOPBACK_TITLES[:3]]).encode())
        site.pages["/press"].set_body(_list_page(["Quarterly results calendar", *LOOPBACK_TITLES[3:]]).encode())
    return WebState(root=root, state=root / "state", sources=sources, site=site)


def _list_page(titles: list[str]) -> str:
    from html import escape

    rows = "".join(
        f'<li><a href="/n/{index}.html">{escape(title)}</a> <span>2025-10-0{index}</span></li>'
        for index, title in enumerate(titles, 1)
    )
    return f"<html><head><meta charset='utf-8'></head><body><ul>{rows}</ul></body></html>"
