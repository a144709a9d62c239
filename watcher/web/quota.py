"""China's rare-earth quotas by year and batch: the stored quota notices and the shipped series, as one chart.

`quota_series` is the one loader: the figures of `watcher/data/quota_history.toml` (each with its notice),
with every national quota notice watcher stored taking the place of the shipped figure of its year and
batch. `chart` lays the series out as SVG shapes for the template: two stacked bars a year (mining,
smelting), one segment a batch, each carrying the notice it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watcher.analyze.notice_history import load_notices

KINDS = (("mining", "Mining"), ("smelting", "Smelting and separation"))


@dataclass
class Figure:
    """One batch's quota and where it comes from."""

    year: int
    batch: int
    mining: int | None
    smelting: int | None
    notice: str
    published: str
    source: str = ""
    event_id: int | None = None  # a notice watcher stored itself
    url: str | None = None
    shipped: Figure | None = field(default=None, repr=False)  # the shipped figure a stored one replaced


def quota_series(stored: list[dict[str, Any]], history_file: Path | None = None) -> list[Figure]:
    """The shipped figures, overlaid by stored quota events of the same year and batch, oldest first.

    A shipped row gives a bar only when it carries the batch's own figures (or says they were withheld);
    a full-year-only row (2018's MNR notice) has no batch figure to draw, and nothing is derived from it.
    """
    figures: dict[tuple[int, int], Figure] = {}
    for entry in load_notices(history_file):
        mining, smelting = _tonnes(entry.get("mining_tonnes")), _tonnes(entry.get("smelting_tonnes"))
        if mining is None and smelting is None and not entry.get("figures_withheld"):
            continue
        figure = Figure(
            year=int(entry["year"]),
            batch=int(entry["batch"]),
            mining=mining,
            smelting=smelting,
            notice=str(entry.get("doc_no") or entry.get("source_title") or ""),
            published=str(entry.get("date") or entry.get("reported") or ""),
            source=str(entry.get("source_title") or ""),
            url=entry.get("source_url"),
        )
        figures[(figure.year, figure.batch)] = figure
    for event in stored:
        facts = event["facts"]
        try:
            key = (int(facts["year"]), int(facts["batch"]))
        except (KeyError, TypeError, ValueError):
            continue
        figure = Figure(
            year=key[0],
            batch=key[1],
            mining=_tonnes(facts.get("mining_tonnes")),
            smelting=_tonnes(facts.get("smelting_tonnes")),
            notice=str(facts.get("doc_no") or event.get("title") or ""),
            published=str(event.get("published") or event.get("first_seen") or "")[:10],
            source=str(event.get("title") or ""),
            event_id=int(event["id"]),
            url=event.get("url"),
        )
        earlier = figures.get(key)
        figure.shipped = earlier if earlier is not None and earlier.event_id is None else None
        figures[key] = figure
    return [figures[key] for key in sorted(figures)]


def _tonnes(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and value > 0 else None


# -- the chart ------------------------------------------------------------------------------------------------

WIDTH, HEIGHT = 760, 360
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 20, 50


def chart(figures: list[Figure]) -> dict[str, Any]:
    """Bars, ticks and labels in SVG user units; empty `bars` when there is nothing to draw."""
    years = sorted({figure.year for figure in figures})
    totals = {
        (year, kind): sum(getattr(f, kind) or 0 for f in figures if f.year == year)
        for year in years
        for kind, _ in KINDS
    }
    top = _nice(max(totals.values(), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(years), 1)
    bar = min(28.0, slot / 3)
    bars, labels = [], []
    for index, year in enumerate(years):
        middle = LEFT + slot * (index + 0.5)
        labels.append({"x": middle, "y": HEIGHT - BOTTOM + 18, "text": str(year)})
        for offset, (kind, kind_name) in zip((-1, 0), KINDS, strict=True):
            x = middle + offset * (bar + 2) + (1 if offset == 0 else -1)
            base = 0
            for figure in sorted((f for f in figures if f.year == year), key=lambda f: f.batch):
                tonnes = getattr(figure, kind)
                if not tonnes:
                    continue
                height = plot_h * tonnes / top
                y = TOP + plot_h * (1 - (base + tonnes) / top)
                bars.append(
                    {
                        "x": round(x, 1),
                        "y": round(y, 1),
                        "w": round(bar, 1),
                        "h": round(height, 1),
                        "kind": kind,
                        "batch": min(figure.batch, 3),
                        "tip": f"{year} batch {figure.batch}, {kind_name.lower()}: {tonnes:,} t — {figure.notice}",
                    }
                )
                base += tonnes
    ticks = [
        {"y": round(TOP + plot_h * (1 - value / top), 1), "text": f"{value:,}"} for value in range(0, top + 1, top // 4)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "base": HEIGHT - BOTTOM,
        "bars": bars,
        "labels": labels,
        "ticks": ticks,
        "totals": totals,
        "years": years,
    }


def _nice(value: int) -> int:
    """A round axis maximum at or above `value`, divisible by 4 ticks."""
    if value <= 0:
        return 100_000
    step = 40_000
    while step * 10 < value:
        step *= 10
    return -(-value // step) * step
