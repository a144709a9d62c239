"""Turn raw runs into medians, ratios, the per-page CPU estimate, latest.md and latest.json.

Medians are taken per metric over the reps (the median wall time and the
median CPU time may come from different reps). Ratios are watcher's median
over the other contender's median for the same size and round; above 1 means
watcher spends more.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

ROUNDS = {"a": "a) first run, empty state", "b": "b) second run, nothing changed", "c": "c) after 5% of pages changed"}
METRICS = ("wall", "cpu", "maxrss_mb", "http_200", "http_304")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def medians(runs: list[dict[str, Any]]) -> dict[str, float] | None:
    ok = [run for run in runs if run.get("returncode") == 0]
    if not ok:
        return None
    out = {}
    for metric in METRICS:
        values = [run[metric] for run in ok if run[metric] is not None]
        out[metric] = statistics.median(values) if values else None
    return out


def per_page_cpu(results: dict[str, Any]) -> dict[str, Any]:
    """CPU per unchanged page (round b): plain per-page cost, fixed-cost-free slope, and watcher's excess."""
    sizes = sorted(int(n) for n in results["sizes"])
    out: dict[str, Any] = {"per_size": {}, "slope": {}}
    for n in sizes:
        contenders = results["sizes"][str(n)]["contenders"]
        row = {}
        for name, data in contenders.items():
            med = (data.get("median") or {}).get("b")
            if med:
                row[name] = med["cpu"] / n * 1000  # ms per page
        if "watcher" in row and "reference" in row:
            row["watcher_minus_reference"] = row["watcher"] - row["reference"]
        out["per_size"][str(n)] = row
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        for name in ("watcher", "reference", "urlwatch"):
            meds = [
                (results["sizes"][str(n)]["contenders"].get(name) or {}).get("median") or {} for n in (small, large)
            ]
            if all(med.get("b") for med in meds):
                slope = (meds[1]["b"]["cpu"] - meds[0]["b"]["cpu"]) / (large - small)
                out["slope"][name] = slope * 1000
                out.setdefault("fixed", {})[name] = meds[0]["b"]["cpu"] - small * slope  # s per pass
        if "watcher" in out["slope"] and "reference" in out["slope"]:
            out["slope"]["watcher_minus_reference"] = out["slope"]["watcher"] - out["slope"]["reference"]
        out["slope_sizes"] = [small, large]
    return out


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _ratio(a: dict | None, b: dict | None, metric: str) -> str:
    if not a or not b or not b.get(metric) or a.get(metric) is None:
        return "n/a"
    return f"{a[metric] / b[metric]:.2f}×"


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    mach = meta["machine"]
    ran = {name for size in results["sizes"].values() for name in size["contenders"]}
    lines = [
        "# Benchmark: watcher vs urlwatch 2.29 vs the reference pipeline",
        "",
        f"- command: `{meta['command']}`",
        f"- date: {meta['date']}",
        f"- machine: {mach['nproc']} CPUs ({mach['cpu_model']}), {mach['memory_gib']} GiB, "
        f"Python {mach['python']}, {mach['platform']}",
        f"- reps: {meta['reps']} per size, contenders interleaved rep by rep, each rep from a fresh state dir; "
        "medians below",
        f"- urlwatch job: `filter: [{{css: ul.txtList_01}}, {{html2text: {meta['urlwatch_html2text']}}}]`, "
        "its fixed 10 worker threads; watcher and reference: 8 workers"
        if "urlwatch" in ran
        else "- watcher and reference: 8 workers",
        f"- versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}",
    ]
    runs = [
        run
        for size in results["sizes"].values()
        for entry in size["contenders"].values()
        for rounds in entry["runs"].values()
        for run in rounds
    ]
    foreign = sum(run.get("foreign_cpu") or 0 for run in runs)
    wall = sum(run["wall"] for run in runs)
    if wall:
        lines.append(
            f"- other processes on the machine used {foreign:.0f} CPU-s during the {wall:.0f} s of passes "
            f"({foreign / wall / (mach['nproc'] or 1) * 100:.0f}% of its {mach['nproc']} CPUs; from "
            "/proc/stat minus the contender and the harness): the higher, the noisier the wall times"
        )
    for name, reason in meta["skipped"].items():
        lines.append(f"- **{name} skipped**: {reason}")
    for name, reason in meta.get("failed", {}).items():
        lines.append(f"- **{name} failed** (skipped from then on): {reason}")
    lines.append("")
    for n, data in results["sizes"].items():
        contenders = data["contenders"]
        lines += [
            f"## N = {n} pages ({data['page_bytes_mean'] / 1024:.0f} KB mean, "
            f"{data['changed_pages']} changed before round c)",
            "",
            "| contender | round | wall s | CPU s | peak RSS MB | 200s | 304s | correct |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for name, entry in contenders.items():
            for round_ in ROUNDS:
                med = (entry.get("median") or {}).get(round_)
                runs = entry["runs"].get(round_, [])
                problems = sorted({p for run in runs for p in run["problems"]})
                verdict = "yes" if runs and not problems else ("–" if not runs else "NO: " + "; ".join(problems)[:200])
                if med:
                    lines.append(
                        f"| {name} | {round_} | {_fmt(med['wall'])} | {_fmt(med['cpu'])} | "
                        f"{_fmt(med['maxrss_mb'], 0)} | {med['http_200']:.0f} | {med['http_304']:.0f} "
                        f"| {verdict} |"
                    )
                elif runs:
                    lines.append(f"| {name} | {round_} | – | – | – | – | – | {verdict} |")
            if entry.get("failed"):
                lines.append(f"| {name} | – | failed: {entry['failed'][:150]} | | | | | |")
        w = (contenders.get("watcher") or {}).get("median") or {}
        u = (contenders.get("urlwatch") or {}).get("median") or {}
        r = (contenders.get("reference") or {}).get("median") or {}
        if not w:
            lines.append("")
            continue
        lines += [
            "",
            "| round | wall w/u | CPU w/u | RSS w/u | wall w/ref | CPU w/ref | RSS w/ref |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for round_ in ROUNDS:
            a, b, c = w.get(round_), u.get(round_), r.get(round_)
            lines.append(
                f"| {round_} | {_ratio(a, b, 'wall')} | {_ratio(a, b, 'cpu')} | {_ratio(a, b, 'maxrss_mb')} "
                f"| {_ratio(a, c, 'wall')} | {_ratio(a, c, 'cpu')} | {_ratio(a, c, 'maxrss_mb')} |"
            )
        lines.append("")
    if meta.get("urlwatch_mojibake_pages"):
        pages = meta["urlwatch_mojibake_pages"]
        lines += [
            f"Over all runs, urlwatch printed the new title of {len(pages)} GBK page(s) that declare their "
            f"charset only in `<meta>` as Latin-1 mojibake ({', '.join(pages[:5])}): it reads the header, "
            "else tries UTF-8, else Latin-1. The change was still detected.",
            "",
        ]
    lines += ["Rounds: " + "; ".join(ROUNDS.values()) + ". w/u = watcher/urlwatch, w/ref = watcher/reference.", ""]
    ppc = results["per_page_cpu"]
    lines += [
        "## CPU per unchanged page (round b)",
        "",
        "| | " + " | ".join(f"N={n}" for n in ppc["per_size"]) + " | slope |",
        "|---|" + "---:|" * (len(ppc["per_size"]) + 1),
    ]
    for name in ("watcher", "reference", "urlwatch", "watcher_minus_reference"):
        cells = [_fmt(row.get(name), 3) for row in ppc["per_size"].values()]
        if any(cell != "–" for cell in cells) or name in ppc["slope"]:
            label = "watcher − reference" if name == "watcher_minus_reference" else name
            lines.append(f"| {label} (ms/page) | " + " | ".join(cells) + f" | {_fmt(ppc['slope'].get(name), 3)} |")
    if ppc.get("slope_sizes"):
        small, large = ppc["slope_sizes"]
        lines.append("")
        lines.append(
            f"Per size: median round-b CPU / N, start-up included. Slope: (CPU(N={large}) − CPU(N={small})) "
            f"/ {large - small}, the marginal cost of one more unchanged page with start-up cancelled out. "
            "See bench/README.md for the method."
        )
        if ppc.get("fixed"):
            lines += [
                "",
                "Fixed CPU per pass (the slope's intercept: interpreter, imports, set-up): "
                + ", ".join(f"{name} {value:.2f} s" for name, value in ppc["fixed"].items())
                + ".",
            ]
    lines.append("")
    return "\n".join(lines)


def write(results: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    md, raw = directory / "latest.md", directory / "latest.json"
    md.write_text(markdown(results), encoding="utf-8")
    raw.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return md, raw
