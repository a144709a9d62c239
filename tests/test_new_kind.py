"""A new kind is one new file: dropped into a directory of the kinds package, it is validated, checked,
tried and described like the shipped ones, with no line of watcher changed.

The file below is what a contributor would add as watcher/extract/kinds/csv.py. The test writes it
into a temporary directory appended to `watcher.extract.kinds.__path__` (the registry's extension
point), so the real discovery finds it and nothing in the tree is touched.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from kind_cases import Case, KindTester

from watcher.extract import kinds

KIND_MODULE = '''
"""`csv`: a register published as a CSV file (licences granted, entity-list additions): one item per row."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from pydantic import Field

from watcher.core.errors import ExtractError
from watcher.core.models import Item, content_hash
from watcher.extract.dates import parse_date
from watcher.extract.markup import absolute, canonical_id, clean, text_of
from watcher.extract.registry import Kind, KindOptions
from watcher.extract.trial import Trial

if TYPE_CHECKING:
    from watcher.core.models import Fetched, SourceView
    from watcher.extract.trial import Hints, Sample


class CsvOptions(KindOptions):
    title: str = Field(description="column holding an entry's title, e.g. 'Licence'")
    link: str | None = Field(None, description="column holding the entry's link")
    date: str | None = Field(None, description="column holding the entry's date")
    delimiter: str = Field(",", min_length=1, max_length=1, description="the character between two columns")


class CsvKind(Kind):
    """A CSV register: one item per row, titled by the `title` column, with its link and date columns."""

    name = "csv"
    Options = CsvOptions
    empty_ok = True  # a register may have no rows yet
    try_order = 5

    def extract(self, fetched: Fetched, source: SourceView) -> list[Item]:
        options: CsvOptions = source.options
        reader = csv.DictReader(io.StringIO(text_of(fetched, source)), delimiter=options.delimiter)
        if reader.fieldnames and options.title not in reader.fieldnames:
            raise ExtractError(f"no column {options.title!r}; the columns are {', '.join(reader.fieldnames)}")
        items, seen = [], set()
        for row in reader:
            title = clean(row.get(options.title))
            url = absolute(fetched.final_url, row.get(options.link)) if options.link else ""
            published = parse_date(clean(row.get(options.date))) if options.date else None
            item_id = canonical_id(url) if url else "title:" + content_hash(title)
            if title and item_id not in seen:
                seen.add(item_id)
                text = clean(" ".join(value for value in row.values() if isinstance(value, str)))
                items.append(Item(id=item_id, title=title, url=url, published=published, text=text))
        return items

    @classmethod
    def fits(cls, sample: Sample, hints: Hints) -> bool:
        """The response is CSV (served as text/csv, or from a .csv URL)."""
        fetched = sample.fetched
        return "csv" in fetched.content_type.lower() or fetched.final_url.lower().endswith(".csv")

    @classmethod
    def trial(cls, sample: Sample, hints: Hints) -> Trial:
        """The columns, and the rows read with --title (default: the first column) as their title."""
        header = next(csv.reader(io.StringIO(sample.text)), [])
        chosen = {"title": hints.title or (header[0] if header else "title")}
        chosen.update({key: value for key, value in (("link", hints.link), ("date", hints.date)) if value})
        items = sample.extract(cls, chosen)
        lines = [f"columns: {', '.join(header)}"]
        return Trial(cls.name, "csv: rows", chosen, items[: hints.limit], len(items), lines)
'''

REGISTER = (
    "Licence,Granted,Link\n"
    "Gallium export licence 2025-001,2025-03-04,/l/1\n"
    "Germanium licence 2025-002,2025-03-05,/l/2\n"
)


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The one new file, in a plugin directory on the kinds package's path."""
    folder = tmp_path / "plugin-kinds"
    folder.mkdir()
    module = folder / "csv.py"
    module.write_text(KIND_MODULE.lstrip(), "utf-8")
    monkeypatch.setattr(kinds, "__path__", [*kinds.__path__, str(folder)])
    yield module
    sys.modules.pop("watcher.extract.kinds.csv", None)


def test_watcher_kinds_describes_it_from_its_declarations(plugin, project):
    listing = project.cli("kinds")
    assert listing.exit_code == 0 and listing.output.startswith("csv: A CSV register: one item per row")
    assert "\nhtml: A list page" in listing.output  # with the shipped ones
    one = project.cli("kinds", "csv").output
    assert "  reads a list of entries, one item each; finding nothing is legal (nothing published yet)" in one
    assert "  `watcher sources try` tries it when the response is CSV (served as text/csv, or from a .csv URL)" in one
    assert "  title (required): column holding an entry's title, e.g. 'Licence'" in one
    assert "  delimiter: the character between two columns [default: ',']" in one


def test_it_is_tried_validated_and_checked_like_a_shipped_kind(plugin, project, site, monkeypatch):
    register = site.add("/licences.csv", REGISTER, content_type="text/csv; charset=utf-8")
    project.write_sources("")
    tried = project.cli("sources", "try", site.url("/licences.csv"), "--date", "Granted", "--link", "Link")
    assert tried.exit_code == 0, tried.output
    out = tried.stdout
    assert "looks like    text" in out and "== csv: rows ==\n  columns: Licence, Granted, Link\n  2 items" in out
    assert f"2025-03-04       Gallium export licence 2025-001  {site.url('/l/1')}" in out
    assert "== page:" in out  # the other kinds that fit still answer
    snippet = out.split("== paste into sources.toml ==\n", 1)[1]
    entry = tomllib.loads(snippet)["source"][0]
    assert (entry["kind"], entry["title"], entry["date"], entry["link"]) == ("csv", "Licence", "Granted", "Link")

    project.write_sources(snippet)  # pasted as it is
    first = project.cli("check")
    assert first.exit_code == 0 and "baseline" in first.output
    register.set_body((REGISTER + "Antimony licence 2025-003,2025-03-09,/l/3\n").encode())
    second = project.cli("check", "--json", "--no-notify")
    assert second.exit_code == 0, second.output
    [change] = [json.loads(line) for line in second.output.splitlines()]
    assert (change["change"], change["title"], change["url"]) == ("new", "Antimony licence 2025-003", site.url("/l/3"))

    bad = project.write_sources(snippet.replace('title = "Licence"', 'title = "Licence"\ndelimiter = ";;"'))
    invalid = project.cli("sources", "--check")
    assert invalid.exit_code == 2 and f"{bad}: [[source]]" in invalid.output and "key 'delimiter'" in invalid.output

    monkeypatch.setattr(kinds, "__path__", [path for path in kinds.__path__ if path != str(plugin.parent)])
    project.write_sources(snippet)
    gone = project.cli("check")  # without the file, the kind does not exist
    assert gone.exit_code == 2 and "unknown kind 'csv'" in gone.output


def test_an_empty_register_is_legal_because_the_kind_says_so(plugin, project, site):
    site.add("/empty.csv", "Licence,Granted,Link\n", content_type="text/csv")
    project.write_sources(
        f'[[source]]\nname = "register"\nurl = "{site.url("/empty.csv")}"\nkind = "csv"\ntitle = "Licence"\n'
    )
    result = project.cli("check")
    assert result.exit_code == 0 and "baseline" in result.output and "no items found" not in result.output


def test_the_kind_tester_runs_its_table(plugin, site):
    tester = KindTester("csv")
    tester.check_declarations()
    cases = [
        Case(
            "rows",
            REGISTER,
            {"title": "Licence", "date": "Granted", "link": "Link"},
            "text/csv",
            items=[
                {"title": "Gallium export licence 2025-001", "url": "{base}/l/1", "published": "2025-03-04"},
                {"title": "Germanium licence 2025-002", "url": "{base}/l/2", "published": "2025-03-05"},
            ],
            fits=True,
        ),
        Case("semicolons", "Licence;Granted\nA;2025-01-01\n", {"title": "Licence", "delimiter": ";"}, items=[{}]),
        Case("a-missing-column", REGISTER, {"title": "Name"}, "text/csv", error="no column 'Name'; the columns are"),
        Case("an-html-page", "<html><body>x</body></html>", {"title": "Licence"}, fits=False, error="no column"),
        Case("title-is-required", REGISTER, {}, config_error=r"key 'title': is required"),
    ]
    for case in cases:
        tester.run(site, case)
