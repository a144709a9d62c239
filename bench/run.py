"""Benchmark watcher against urlwatch 2.29 and a minimal reference pipeline on a loopback site.

    . .venv/bin/activate && python bench/run.py            # N=200 and 1000, 3 reps (< 15 min)
    python bench/run.py --quick                            # N=50, 1 rep: a smoke test (< 1 min)
    python bench/run.py --sizes 200 --reps 5 --only watcher,reference

For each size N the server (bench/server.py, in this process) serves N list
pages (bench/pages.py). Each rep replays, for each contender in turn (the
order rotates from rep to rep), three passes from a fresh state dir:
a) first run on empty state, b) nothing changed, c) after 5% of the pages
gained one item. Every pass is a separate process measured with wait4
(bench/measure.py) and judged for correctness (bench/contenders.py). Writes
bench/results/latest.md and latest.json (bench/report.py).
"""

from __future__ import annotations

import argparse
import resource
import shlex
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import contenders as contenders_mod
import measure
import report
import urlwatch_env
from pages import Site, source_name
from server import PageServer

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
CHANGED_FRACTION = 0.05


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark watcher vs urlwatch 2.29 vs a reference pipeline.")
    parser.add_argument("--sizes", default="200,1000", help="comma-separated page counts (default: 200,1000)")
    parser.add_argument("--reps", type=int, default=3, help="reps per size; medians are reported (default: 3)")
    parser.add_argument("--quick", action="store_true", help="smoke test: N=50, 1 rep")
    parser.add_argument("--only", default="watcher,urlwatch,reference", help="contenders to run, comma-separated")
    parser.add_argument("--port", type=int, default=0, help="server port on 127.0.0.1 (default: any free port)")
    parser.add_argument(
        "--urlwatch-html2text",
        default="re",
        choices=["re", "pyhtml2text", "bs4"],
        help="urlwatch html2text method (default: re, urlwatch 2.29's own default)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="where latest.md/json go (default: bench/results; with --quick: bench/.work/quick)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.reps = "50", 1
    if args.results is None:  # a smoke test must not overwrite the committed results
        args.results = WORK / "quick" if args.quick else BENCH / "results"
    args.size_list = [int(size) for size in args.sizes.split(",") if size.strip()]
    args.names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.names) - {"watcher", "urlwatch", "reference"}
    if unknown or not args.names or not args.size_list or args.reps < 1:
        parser.error(f"bad --only/--sizes/--reps (unknown contenders: {sorted(unknown)})")
    return args


def write_sources(path: Path, base_url: str, count: int) -> list[tuple[str, str]]:
    """The watch list both watcher and the reference read; host_interval 0s because all pages share one host."""
    urls = [(source_name(i), f"{base_url}/p/{i}") for i in range(1, count + 1)]
    blocks = ['[settings]\nhost_interval = "0s"\n']
    blocks += [
        f'[[source]]\nname = "{name}"\nurl = "{url}"\nkind = "html"\nitem = "ul.txtList_01 > li"\n'
        for name, url in urls
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return urls


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def _git_revision() -> str:
    """Which watcher was measured: the commit, and whether watcher/ had uncommitted edits."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BENCH, capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "../watcher"],
            cwd=BENCH,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "git revision unknown"
    return f"commit {head}" + (", with uncommitted changes in watcher/" if dirty else "")


def replay(
    contender: Any, server: PageServer, site: Site, task: contenders_mod.Task, directory: Path, rep: int, timeout: float
) -> tuple[dict[str, dict], str | None]:
    """Rounds a, b, c for one contender from a fresh state dir. Returns the runs and, if it broke, why."""
    site.reset()
    task.added = []
    shutil.rmtree(directory, ignore_errors=True)
    contender.prepare(directory, task)
    runs: dict[str, dict] = {}
    for round_ in "abc":
        if round_ == "c":
            task.added = site.change(site.pick(CHANGED_FRACTION, seed=rep), seed=rep, now=time.time())
        server.reset_counts()
        before = resource.getrusage(resource.RUSAGE_SELF)
        busy_before = measure.busy_seconds()
        m = measure.run(
            contender.argv(directory, task),
            cwd=directory,
            env=contender.env(directory),
            timeout=timeout,
            log_prefix=directory / f"round-{round_}",
        )
        counts = server.counts()
        after = resource.getrusage(resource.RUSAGE_SELF)
        harness_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        busy_after = measure.busy_seconds()
        # CPU that neither the contender nor this process used: other people's work on a shared machine.
        foreign = (
            None
            if busy_before is None or busy_after is None
            else max(0.0, busy_after - busy_before - m.cpu - harness_cpu)
        )
        broke = None
        if m.timed_out:
            broke = f"round {round_} ran past {timeout:.0f}s and was killed"
        elif m.returncode != 0:
            tail = " | ".join(m.stderr.strip().splitlines()[-3:]) or "no stderr"
            broke = f"round {round_} exited {m.returncode}: {tail[:300]}"
        problems = [] if broke else contender.verify(round_, m.stdout, task)
        runs[round_] = {
            "rep": rep,
            "wall": m.wall,
            "user": m.user,
            "sys": m.sys,
            "cpu": m.cpu,
            "maxrss_mb": None if m.maxrss_kb is None else m.maxrss_kb / 1024,
            "returncode": m.returncode,
            "http_200": counts.get(200, 0),
            "http_304": counts.get(304, 0),
            "http_other": {str(k): v for k, v in counts.items() if k not in (200, 304)},
            "server_cpu": harness_cpu,  # this process, i.e. mostly the page server answering the contender
            "foreign_cpu": foreign,
            "stdout_lines": len(m.stdout.splitlines()),
            "problems": problems,
        }
        flag = "ok" if not problems and not broke else "PROBLEM"
        rss = "    ?" if m.maxrss_kb is None else f"{m.maxrss_kb / 1024:5.0f}"
        print(
            f"  {contender.name:9} rep {rep} round {round_}: {m.wall:6.2f}s wall {m.cpu:6.2f}s cpu "
            f"{rss} MB  200:{counts.get(200, 0):5} 304:{counts.get(304, 0):5}  "
            f"others {foreign or 0:5.2f}s cpu  {flag}",
            flush=True,
        )
        for problem in problems:
            print(f"    ! {problem}", flush=True)
        if broke:
            return runs, broke
    site.reset()
    return runs, None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "bench/run.py", *(sys.argv[1:] if argv is None else argv)])
    started = time.perf_counter()
    WORK.mkdir(exist_ok=True)

    active, skipped = [], {}
    for contender in contenders_mod.make(args.names, WORK, args.urlwatch_html2text):
        reason = contender.unavailable()
        if reason:
            print(f"skipping {contender.name}: {reason}", flush=True)
            skipped[contender.name] = reason
        else:
            active.append(contender)
    if not active:
        print("no contender can run", file=sys.stderr)
        return 1

    expected_requests = sum(args.size_list) * args.reps * len(active) * 3
    server = PageServer(Site(1), port=args.port, max_requests=2 * expected_requests + 10_000, max_seconds=1800)
    server.start()
    print(
        f"serving on {server.base_url} (stops by itself after {server.max_seconds:.0f}s "
        f"or {server.max_requests} requests)",
        flush=True,
    )

    results: dict[str, Any] = {"sizes": {}}
    broken: dict[str, str] = {}
    try:
        for n in args.size_list:
            site = Site(n, server.base_url)
            server.site = site
            run_dir = WORK / "runs" / f"N{n}"
            run_dir.mkdir(parents=True, exist_ok=True)
            task = contenders_mod.Task(
                run_dir / "sources.toml", write_sources(run_dir / "sources.toml", server.base_url, n)
            )
            size_entry: dict[str, Any] = {
                "page_bytes_mean": sum(len(page.rendered.body) for page in site.pages) / n,
                "changed_pages": len(site.pick(CHANGED_FRACTION, seed=1)),
                "contenders": {c.name: {"runs": {"a": [], "b": [], "c": []}} for c in active},
            }
            results["sizes"][str(n)] = size_entry
            print(f"N={n}: {n} pages, {size_entry['page_bytes_mean'] / 1024:.0f} KB mean", flush=True)
            for rep in range(1, args.reps + 1):
                shift = (rep - 1) % len(active)
                for contender in active[shift:] + active[:shift]:
                    if contender.name in broken:
                        continue
                    runs, broke = replay(
                        contender,
                        server,
                        site,
                        task,
                        run_dir / f"rep{rep}" / contender.name,
                        rep,
                        timeout=max(180.0, n * 0.6),
                    )
                    entry = size_entry["contenders"][contender.name]
                    for round_, run in runs.items():
                        entry["runs"][round_].append(run)
                    if broke:
                        broken[contender.name] = broke
                        entry["failed"] = broke
                        print(f"  {contender.name} failed and is skipped from now on: {broke}", flush=True)
            for entry in size_entry["contenders"].values():
                entry["median"] = {
                    round_: med for round_, runs in entry["runs"].items() if (med := report.medians(runs))
                }
    finally:
        server.stop()

    urlwatch = next((c for c in active if c.name == "urlwatch"), None)
    results["meta"] = {
        "command": command,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(),
        "reps": args.reps,
        "sizes": args.size_list,
        "urlwatch_html2text": args.urlwatch_html2text,
        "skipped": skipped,
        "failed": broken,
        "urlwatch_mojibake_pages": sorted(urlwatch.mojibake) if urlwatch else [],
        "versions": {
            "watcher": f"{_version('watcher-alerts')} ({_git_revision()})",
            "urlwatch": urlwatch_env.VERSION,
            "requests": _version("requests"),
            "lxml": _version("lxml"),
        },
        "duration_s": round(time.perf_counter() - started, 1),
    }
    results["per_page_cpu"] = report.per_page_cpu(results)
    md, raw = report.write(results, args.results)
    print(f"wrote {md} and {raw} in {results['meta']['duration_s']:.0f}s", flush=True)
    problems = any(
        run["problems"]
        for size in results["sizes"].values()
        for entry in size["contenders"].values()
        for runs in entry["runs"].values()
        for run in runs
    )
    return 1 if problems or broken else 0


if __name__ == "__main__":
    sys.exit(main())
