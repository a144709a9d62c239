"""Dated history of recurring notices (`watcher/data/quota_history.toml`): what expectations compare with.

Each `[[notice]]` row is one public notice (year, batch, date, figures, document, where it was
published), or a report that one was issued without publication (`issued`, `reported`,
`figures_withheld`). Rows are read once per file; a malformed file is a configuration error
naming the row and key, raised when the pipeline is built, never in the middle of a check.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from watcher.core.errors import ConfigError

SHIPPED = "quota_history"
# The figures of one batch, most telling first: "last published" names the first one a row carries.
BATCH_FIGURES = ("mining_tonnes", "smelting_tonnes", "rock_type_tonnes", "ionic_type_tonnes")
TONNAGE_KEYS = (
    *BATCH_FIGURES,
    "cumulative_mining_tonnes",
    "cumulative_smelting_tonnes",
    "annual_mining_tonnes",
    "annual_smelting_tonnes",
    "annual_rock_type_tonnes",
    "annual_ionic_type_tonnes",
)


def shipped_path(name: str = SHIPPED) -> Path:
    return Path(str(files("watcher") / "data" / f"{name}.toml"))


def load_notices(path: Path | str | None = None) -> tuple[dict[str, Any], ...]:
    """The rows of a history file (the shipped rare-earth quota history by default), checked."""
    target = Path(path) if path is not None else shipped_path()
    try:
        stamp = target.stat().st_mtime_ns
    except OSError as error:
        raise ConfigError(f"{target}: cannot read: {error.strerror}") from None
    return _load(str(target), stamp)


@lru_cache(maxsize=16)
def _load(path: str, stamp: int) -> tuple[dict[str, Any], ...]:
    """Parsed once per file version: `stamp` (the mtime) makes an edited file read again."""
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: TOML syntax error: {error}") from None
    rows = data.get("notice", [])
    if not isinstance(rows, list):
        raise ConfigError(f"{path}: 'notice' must be an array of tables: write each row as [[notice]]")
    problems = []
    for index, row in enumerate(rows, start=1):
        problems += [f"{path}: [[notice]] entry {index}: {problem}" for problem in _row_problems(row)]
    if problems:
        raise ConfigError(problems)
    return tuple(dict(row) for row in rows)


def _row_problems(row: Any) -> list[str]:
    if not isinstance(row, dict):
        return ["must be a table"]
    problems = []
    for key in ("year", "batch"):
        if not isinstance(row.get(key), int) or isinstance(row.get(key), bool):
            problems.append(f"key {key!r}: required, a whole number")
    for key in ("source_url", "source_title"):
        if not isinstance(row.get(key), str) or not row[key].startswith("http" if key == "source_url" else ""):
            problems.append(f"key {key!r}: required: where this row was found (every row is sourced)")
    if notice_day(row) is None:
        problems.append("key 'date': required (YYYY-MM-DD), or 'reported' for a notice that was not published")
    for key in TONNAGE_KEYS:
        if key in row and (not isinstance(row[key], int) or row[key] <= 0):
            problems.append(f"key {key!r}: a positive whole number of tonnes")
    return problems


def notice_day(row: dict[str, Any]) -> date | None:
    """The day the row's notice became public knowledge: its date, else the first report of it."""
    for key in ("date", "reported"):
        value = row.get(key)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return None
    return None


def batch_name(record: dict[str, Any]) -> str:
    year, batch = record.get("year"), record.get("batch")
    return f"{year} batch {batch}" if year and batch else str(year or "?")


def last_published(rows: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> dict[str, Any] | None:
    """The latest batch whose figures were published: {year, batch, date, key: tonnes, ...}."""
    best: tuple[tuple[int, int, str], dict[str, Any]] | None = None
    for row in rows:
        if not any(isinstance(row.get(key), int | float) for key in BATCH_FIGURES):
            continue
        year, batch = row.get("year"), row.get("batch")
        if not isinstance(year, int):
            continue
        rank = (year, batch if isinstance(batch, int) else 0, str(row.get("date") or row.get("published") or ""))
        if best is None or rank > best[0]:
            best = (rank, row)
    if best is None:
        return None
    row = best[1]
    out: dict[str, Any] = {"year": row["year"], "batch": row.get("batch")}
    day = notice_day(row) or row.get("published")
    if day:
        out["date"] = str(day)[:10]
    for key in BATCH_FIGURES:
        if isinstance(row.get(key), int | float):
            out[key] = row[key]
    return out


def withheld_facts(
    facts: dict[str, Any], label: str, text: str, history: Callable[[], Iterable[dict[str, Any]]]
) -> dict[str, Any]:
    """`figures_withheld` (and the last published figures) for a quota notice that carries no tonnage.

    Only a quota event that names its year or batch counts: commentary about the quota system is
    not a notice. `last_published` is read from `history()` (shipped rows and stored events) only
    when the text is about rare earths, the series the shipped history holds.
    """
    if label != "quota" or not (facts.get("year") or facts.get("batch")):
        return {}
    if any(isinstance(facts.get(key), int | float) for key in TONNAGE_KEYS):
        return {}
    if facts.get("by_province_tonnes") or facts.get("allocations") or facts.get("tungsten_concentrate_tonnes"):
        return {}
    out: dict[str, Any] = {"figures_withheld": True}
    low = text.lower()
    if "稀土" in text or "rare earth" in low or "rare-earth" in low:
        latest = last_published(list(history()))
        if latest is not None:
            out["last_published"] = latest
    return out
