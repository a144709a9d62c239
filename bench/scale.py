"""Scale check: does watcher stay cheap with 10,000 sources and a year of history in its state?

    . .venv/bin/activate && python bench/scale.py            # 10,000 sources: about 10 minutes here
    python bench/scale.py --quick                             # 300 sources, same history per source

Steps, all against the loopback site of bench/server.py, one page per source:

1. `watcher check` on empty state (the baseline pass), twice with nothing
   changed, once after 5% of the pages gained an item: the hot path on a
   database that holds only today.
2. Add a year of simulated history to that database with plain SQL into
   watcher's own schema (it was created by watcher itself in step 1).
3. The same passes on the year-old database (other pages change this time).
   Round-c output is asserted exactly, as in run.py.
4. The read side on the year-old database: `watcher history` in its common
   forms, Store queries that `status`-like commands need, and the deletes that
   the 90-day retention will run.

What a year of history is, given watcher's defaults (interval 1 h, retention 90 d
for the check log and for sent deliveries, everything else kept forever):

- check log: one row per source per hour for the last 90 days (10,000 x 24 x 90
  = 21.6 M rows, not the 87.6 M of a year: older rows are pruned). Of those,
  the checks that found a new item are `ok` with a 200, 0.5% are errors, the
  rest `unchanged` 304s.
- items: each source gains on average `--items-per-week` (3) new items, at
  random hours over the year (Poisson); the list keeps 20, so each new item
  pushes one off: 156 gone items per source, kept forever (1.56 M rows).
- changes: a `new` and a `removed` row per arrival (3.1 M rows), forever.
- events: `--relevant` (10%) of new items are classified into an alert event,
  forever: 40% market, 25% deal, 15% enforcement, 15% export_control, 5% quota
  (quota events carry a year in their facts); 15% of them were reported by a
  second source too; two cluster keys each. Deliveries: one immediate and, for half, one digest per event, sent,
  kept 90 days like the check log; one attempt row per delivery.

The rates are assumptions (a busy ministry list posts a few notices a week;
most pages post fewer), chosen to err on the large side. Writes
bench/results/scale.md and scale.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import contenders
import measure
import report
from pages import Site, notice_title, source_name
from run import _git_revision, write_sources
from server import PageServer

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work" / "scale"
# Share of alert events per label: market news and deals are common, quota announcements rare.
LABELS = {"market": 0.40, "deal": 0.25, "enforcement": 0.15, "export_control": 0.15, "quota": 0.05}
_TITLE_RNG = random.Random(7)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="watcher with 10,000 sources and a year of history.")
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365, help="history length (default: 365)")
    parser.add_argument("--retention-days", type=int, default=90, help="check log and sent deliveries kept")
    parser.add_argument("--items-per-week", type=float, default=3.0, help="new items per source per week")
    parser.add_argument("--relevant", type=float, default=0.10, help="share of new items that become events")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="300 sources")
    parser.add_argument("--results", type=Path, default=None, help="default: bench/results (--quick: bench/.work)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sources = 300
    if args.results is None:
        args.results = BENCH / ".work" if args.quick else BENCH / "results"
    return args


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def simulate_history(
    db_path: Path, names: list[str], base_url: str, now: datetime, args: argparse.Namespace
) -> dict[str, float]:
    """Insert a year of history into watcher's schema; returns seconds per step."""
    rng = random.Random(2025)
    hours = args.days * 24
    retention_hours = args.retention_days * 24
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)
    hour_prefix = [(start + timedelta(hours=h)).strftime("%Y-%m-%dT%H:") for h in range(hours)]
    rate = args.items_per_week / (7 * 24)  # arrivals per source-hour
    timings: dict[str, float] = {}

    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")  # 256 MiB while building; watcher itself uses the default
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'checks' AND sql IS NOT NULL"
    ).fetchall()

    # Arrivals: which hours each source gained an item.
    arrivals: list[list[int]] = []
    for _ in names:
        count = _poisson(rng, rate * hours)
        arrivals.append(sorted(rng.sample(range(hours), min(count, hours))))

    clock = time.perf_counter()
    db.execute("BEGIN")
    for index in indexes:
        db.execute(f"DROP INDEX {index[0]}")
    offsets = [f"{(i * 37) % 60:02d}:{(i * 11) % 60:02d}Z" for i in range(len(names))]
    first_kept = hours - retention_hours

    def check_rows():
        for i, name in enumerate(names):
            hot = set(arrivals[i])
            offset = offsets[i]
            for hour in range(first_kept, hours):
                stamp = hour_prefix[hour] + offset
                if hour in hot:
                    yield (name, stamp, 180, "ok", 200, 45_000, 21, 1, 0, 1, None)
                elif (hour * 7 + i) % 200 == 0:
                    yield (name, stamp, 30_000, "error", None, 0, 0, 0, 0, 0, "FetchError: timed out after 30s")
                else:
                    yield (name, stamp, 12, "unchanged", 304, 0, 0, 0, 0, 0, None)

    db.executemany(
        "INSERT INTO checks (source, started_at, duration_ms, status, http_status, bytes, items, new, "
        "changed, removed, error) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        check_rows(),
    )
    db.execute("COMMIT")
    timings["checks rows"] = time.perf_counter() - clock
    clock = time.perf_counter()
    db.execute("BEGIN")
    for _, sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    timings["checks indexes"] = time.perf_counter() - clock

    clock = time.perf_counter()
    db.execute("BEGIN")
    event_id = db.execute("SELECT MAX(id) FROM events").fetchone()[0] or 0
    retention_start = _iso(start + timedelta(hours=first_kept))
    items, changes, events, event_sources, event_keys, deliveries = [], [], [], [], [], []
    for i, name in enumerate(names):
        for n, hour in enumerate(arrivals[i]):
            stamp = hour_prefix[hour] + offsets[i]
            hexid = f"{i:06x}{n:06x}{rng.getrandbits(80):020x}"
            url = f"{base_url}/zwgk/zcfb/art/2025/art_{hexid}.html"
            item_id = url.split(":", 1)[1]
            title = notice_title(_TITLE_RNG)
            published = stamp[:10]
            items.append(
                (name, item_id, title, url, published, "", f"{rng.getrandbits(96):024x}", stamp, stamp, stamp)
            )  # gone at once, for simplicity: a year-old list no longer shows them
            changes.append([name, item_id, "new", title, url, published, "", None, stamp, None])
            changes.append([name, "//old" + item_id, "removed", title, url, published, "", None, stamp, None])
            if rng.random() < args.relevant:
                event_id += 1
                label = rng.choices(list(LABELS), weights=list(LABELS.values()))[0]
                facts = json.dumps(
                    {"year": 2025, "mineral": "稀土", "tonnes": rng.randrange(100, 300_000)}
                    if label == "quota"
                    else {},
                    ensure_ascii=False,
                )
                events.append(
                    (
                        event_id,
                        "change",
                        name,
                        label,
                        rng.choice(("high", "medium", "low")),
                        title,
                        title[:60],
                        url,
                        published,
                        stamp,
                        json.dumps(["稀土"], ensure_ascii=False),
                        facts,
                        1,
                    )
                )
                changes[-2][-1] = event_id
                event_sources.append((event_id, name, title, url, stamp))
                if rng.random() < 0.15:
                    event_sources.append((event_id, rng.choice(names), title, url + "#mirror", stamp))
                event_keys += [(f"k:{event_id}:{k}", event_id, stamp) for k in range(2)]
                if stamp >= retention_start:
                    deliveries.append((event_id, "ops", "immediate", "sent", stamp, stamp, stamp))
                    if rng.random() < 0.5:
                        deliveries.append((event_id, "digest", "digest", "sent", stamp, stamp, stamp))
    db.executemany(
        "INSERT INTO items (source, item_id, title, url, published, text, hash, first_seen, last_seen, "
        "gone_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        items,
    )
    changes.sort(key=lambda row: row[8])  # ids grow with time, as they do in watcher
    db.executemany(
        "INSERT INTO changes (source, item_id, change, title, url, published, text, diff, detected_at, "
        "event_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
        changes,
    )
    db.executemany(
        "INSERT INTO events (id, kind, source, label, severity, title, summary, url, published, "
        "first_seen, matched, facts, routed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        events,
    )
    db.executemany(
        "INSERT OR IGNORE INTO event_sources (event_id, source, title, url, seen_at) VALUES (?,?,?,?,?)", event_sources
    )
    db.executemany("INSERT OR IGNORE INTO event_keys (key, event_id, seen_at) VALUES (?,?,?)", event_keys)
    db.executemany(
        "INSERT INTO deliveries (event_id, tag, mode, status, next_attempt_at, created_at, sent_at, "
        "attempts) VALUES (?,?,?,?,?,?,?,1)",
        deliveries,
    )
    db.execute("INSERT INTO attempts (delivery_id, at, ok) SELECT id, sent_at, 1 FROM deliveries WHERE status = 'sent'")
    db.execute("COMMIT")
    timings["items, changes, events"] = time.perf_counter() - clock
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return timings


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method is too slow for means in the hundreds; a rounded normal is close enough there."""
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def db_stats(db_path: Path) -> dict[str, Any]:
    db = sqlite3.connect(db_path)
    owners: dict[str, list[str]] = {}
    for name, table in db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"):
        owners.setdefault(table, []).append(name)
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_migrations'"
        )
    ]
    counts = {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}
    try:  # bytes per table and index, where SQLite was built with the dbstat table
        space = dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall())
    except sqlite3.OperationalError:
        space = {}
    db.close()
    size = sum(path.stat().st_size for path in db_path.parent.glob(db_path.name + "*"))
    return {"rows": counts, "bytes": size, "space": space, "owners": owners}


def watcher_pass(
    watcher: contenders.Watcher,
    label: str,
    directory: Path,
    task: contenders.Task,
    server: PageServer,
    round_: str,
    timeout: float,
) -> dict[str, Any]:
    server.reset_counts()
    busy, own = measure.busy_seconds(), resource.getrusage(resource.RUSAGE_SELF)
    m = measure.run(
        watcher.argv(directory, task),
        cwd=directory,
        env=watcher.env(directory),
        timeout=timeout,
        log_prefix=directory / label.replace(" ", "-").replace(",", ""),
    )
    counts = server.counts()
    after, own_after = measure.busy_seconds(), resource.getrusage(resource.RUSAGE_SELF)
    harness = own_after.ru_utime + own_after.ru_stime - own.ru_utime - own.ru_stime
    foreign = None if busy is None or after is None else max(0.0, after - busy - m.cpu - harness)
    problems = [] if m.returncode == 0 else [f"exited {m.returncode}: {m.stderr.strip()[-300:]}"]
    if not problems:
        problems = watcher.verify(round_, m.stdout, task)
    row = {
        "pass": label,
        "wall": m.wall,
        "cpu": m.cpu,
        "maxrss_mb": (m.maxrss_kb or 0) / 1024,
        "http_200": counts.get(200, 0),
        "http_304": counts.get(304, 0),
        "problems": problems,
        "foreign_cpu": foreign,
    }
    print(
        f"  {label:44} {m.wall:7.2f}s wall {m.cpu:7.2f}s cpu {row['maxrss_mb']:5.0f} MB "
        f"200:{row['http_200']:6} 304:{row['http_304']:6} others {foreign or 0:5.1f}s {problems or 'ok'}",
        flush=True,
    )
    return row


def read_side(
    watcher: contenders.Watcher, directory: Path, task: contenders.Task, db_path: Path, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Commands and queries that read the big database, and the retention deletes."""
    rows = []
    base = [
        watcher.exe,
        "--sources",
        str(task.sources_toml),
        "--state",
        str(directory / "state"),
        "--alerts",
        str(directory / "alerts"),
    ]
    for extra in (
        ["status"],
        ["status", "--json"],
        ["sources"],
        ["sources", "--json"],
        ["history", "--limit", "50"],
        ["history", "--label", "quota"],
        ["history", "--source", source_name(1)],
        ["history", "--since", "7d", "--limit", "1000"],
        ["history", "--removed", "--json"],
        ["prune", "--dry-run"],
    ):
        m = measure.run(
            [*base, *extra],
            cwd=directory,
            env=watcher.env(directory),
            timeout=600,
            log_prefix=directory / ("read-" + "-".join(part.strip("-") for part in extra)),
        )
        rows.append(
            {
                "what": "watcher " + " ".join(extra),
                "wall": m.wall,
                "cpu": m.cpu,
                "ok": m.returncode == 0,
                "note": f"{len(m.stdout.splitlines())} lines out",
            }
        )

    from watcher.store import Store  # the project venv runs this script; watcher is installed there

    def timed(what: str, call) -> None:
        clock = time.perf_counter()
        result = call()
        size = len(result) if hasattr(result, "__len__") else result
        rows.append(
            {
                "what": what,
                "wall": time.perf_counter() - clock,
                "cpu": None,
                "ok": True,
                "note": f"{size} rows" if isinstance(size, int) else "",
            }
        )

    clock = time.perf_counter()
    store = Store.open(directory / "state")
    rows.append(
        {
            "what": "Store.open (schema check, WAL)",
            "wall": time.perf_counter() - clock,
            "cpu": None,
            "ok": True,
            "note": "",
        }
    )
    timed("Store.source_rows() (all sources' state)", store.reports.source_rows)
    timed("Store.outbox_counts()", store.outbox.outbox_counts)
    timed("Store.quota_history() (every quota event)", store.events.quota_history)
    this_year = datetime.now(UTC).year
    timed(
        "Store.quota_history((year - 1, year)) (what a delta reads)",
        lambda: store.events.quota_history((this_year - 1, this_year)),
    )
    timed("Store.source_state(one)", lambda: [store.checks.source_state(source_name(5))])
    timed("Store.stored_items(one)", lambda: store.checks.stored_items(source_name(5), []))
    delivery_cutoff = _iso(datetime.now(UTC) - timedelta(days=args.retention_days - 1))
    with store.lock:
        oldest = store.db.execute("SELECT MIN(started_at) FROM checks").fetchone()[0]
    cutoff = _iso(datetime.strptime(oldest, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) + timedelta(days=1))

    def prune_checks() -> int:
        with store.transaction() as db:
            return db.execute("DELETE FROM checks WHERE started_at < ?", [cutoff]).rowcount

    def prune_deliveries() -> int:
        with store.transaction() as db:
            return db.execute(
                "DELETE FROM deliveries WHERE status = 'sent' AND sent_at < ?", [delivery_cutoff]
            ).rowcount

    timed("retention: DELETE one day of checks in one statement", prune_checks)
    timed("retention: DELETE sent deliveries older than 89 d", prune_deliveries)
    store.close()
    # what the daily retention job really runs: batched deletes of the day that fell out of the window
    m = measure.run(
        [*base, "prune", "--older-than", f"{args.retention_days - 2}d"],
        cwd=directory,
        env=watcher.env(directory),
        timeout=600,
        log_prefix=directory / "read-prune",
    )
    rows.append(
        {
            "what": f"watcher prune --older-than {args.retention_days - 2}d (batched)",
            "wall": m.wall,
            "cpu": m.cpu,
            "ok": m.returncode == 0,
            "note": (m.stdout.strip().splitlines() or [""])[-1][:90],
        }
    )
    return rows


def _table_mib(stats: dict[str, Any], table: str) -> str:
    """A table's pages plus its indexes' (dbstat names indexes, so match them through sqlite_master)."""
    if not stats["space"]:
        return "–"
    owned = stats["owners"].get(table, [])
    return f"{sum(stats['space'].get(name, 0) for name in [table, *owned]) / 2**20:,.0f}"


def markdown(results: dict[str, Any]) -> str:
    meta, stats = results["meta"], results["stats"]
    mach = meta["machine"]
    lines = [
        f"# Scale check: {meta['sources']:,} sources, {meta['days']} days of history",
        "",
        f"- command: `{meta['command']}`",
        f"- date: {meta['date']}",
        f"- machine: {mach['nproc']} CPUs ({mach['cpu_model']}), {mach['memory_gib']} GiB, Python {mach['python']}",
        f"- watcher {meta['watcher']}; `check --workers {meta['workers']}`, host_interval 0s, loopback server",
        f"- assumptions: hourly checks, check log kept {meta['retention_days']} d, {meta['items_per_week']} new "
        f"items per source per week, {meta['relevant'] * 100:.0f}% of them alert events; see bench/scale.py",
        "",
        "## State database after the simulated year",
        "",
        f"**{stats['bytes'] / 2**20 / meta['sources'] * 365 / meta['days']:.2f} MiB per source-year.** "
        f"{stats['bytes'] / 2**20:,.0f} MiB on disk (database and WAL); built in "
        + ", ".join(f"{k} {v:.0f}s" for k, v in results["build_seconds"].items())
        + ".",
        "",
        "| table | rows | MiB (table + its indexes) |",
        "|---|---:|---:|",
        *(f"| {table} | {rows:,} | {_table_mib(stats, table)} |" for table, rows in stats["rows"].items()),
        "",
        "Largest objects: "
        + ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in list(stats["space"].items())[:8])
        + ".",
        "",
        "## The hot path: `watcher check` over every source",
        "",
        "| pass | wall s | CPU s | CPU ms/source | peak RSS MB | 200s | 304s | others' CPU s | correct |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in results["passes"]:
        verdict = "yes" if not row["problems"] else "NO: " + "; ".join(row["problems"])[:200]
        lines.append(
            f"| {row['pass']} | {row['wall']:.2f} | {row['cpu']:.2f} | "
            f"{row['cpu'] / meta['sources'] * 1000:.2f} | {row['maxrss_mb']:.0f} | {row['http_200']} | "
            f"{row['http_304']} | {row.get('foreign_cpu') or 0:.1f} | {verdict} |"
        )
    lines += [
        "",
        "## The read side on the year-old database",
        "",
        "| what | wall s | CPU s | note |",
        "|---|---:|---:|---|",
    ]
    for row in results["reads"]:
        cpu = "–" if row["cpu"] is None else f"{row['cpu']:.2f}"
        lines.append(f"| {row['what']} | {row['wall']:.3f} | {cpu} | {'' if row['ok'] else 'FAILED '}{row['note']} |")
    lines += [
        "",
        "Commands are separate processes (start-up included); `Store.*` rows are in-process calls "
        "on the same database, wall time only.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    watcher = contenders.Watcher()
    reason = watcher.unavailable()
    if reason:
        print(f"cannot run the scale check: {reason}", file=sys.stderr)
        return 1
    shutil.rmtree(WORK, ignore_errors=True)
    directory = WORK / "run"
    watcher.prepare(directory, None)  # type: ignore[arg-type]
    print(f"generating {args.sources} pages", flush=True)
    site = Site(args.sources)
    server = PageServer(site, port=args.port, max_requests=12 * args.sources + 1000, max_seconds=3600)
    site.base_url = server.base_url
    server.start()
    timeout = max(600.0, args.sources * 0.3)
    results: dict[str, Any] = {"passes": []}
    try:
        task = contenders.Task(
            WORK / "sources.toml", write_sources(WORK / "sources.toml", server.base_url, args.sources)
        )
        passes = results["passes"]
        passes.append(watcher_pass(watcher, "a) baseline, empty state", directory, task, server, "a", timeout))
        for again in ("", " again"):
            passes.append(
                watcher_pass(watcher, f"b) unchanged{again}, fresh state", directory, task, server, "b", timeout)
            )
        task.added = site.change(site.pick(0.05, seed=2), seed=2, now=time.time())
        passes.append(watcher_pass(watcher, "c) 5% changed, fresh state", directory, task, server, "c", timeout))
        task.added = []
        db_path = directory / "state" / "watcher.db"
        print("simulating a year of history", flush=True)
        results["build_seconds"] = simulate_history(
            db_path, [name for name, _ in task.urls], server.base_url, datetime.now(UTC), args
        )
        results["stats"] = db_stats(db_path)
        print(f"  {results['stats']['bytes'] / 2**20:,.0f} MiB: {results['stats']['rows']}", flush=True)
        passes.append(watcher_pass(watcher, "b) unchanged, year-old state", directory, task, server, "b", timeout))
        task.added = site.change(site.pick(0.05, seed=1), seed=1, now=time.time())
        passes.append(watcher_pass(watcher, "c) 5% changed, year-old state", directory, task, server, "c", timeout))
        task.added = []
        passes.append(
            watcher_pass(watcher, "b) unchanged again, year-old state", directory, task, server, "b", timeout)
        )
        print("read side", flush=True)
        results["reads"] = read_side(watcher, directory, task, db_path, args)
        for row in results["reads"]:
            print(f"  {row['what']:48} {row['wall']:7.3f}s  {row['note']}", flush=True)
    finally:
        server.stop()
    results["meta"] = {
        "command": " ".join(["python", "bench/scale.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(),
        "watcher": _git_revision(),
        "sources": args.sources,
        "days": args.days,
        "retention_days": args.retention_days,
        "items_per_week": args.items_per_week,
        "relevant": args.relevant,
        "workers": 8,
        "duration_s": round(time.perf_counter() - started, 1),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    name = "scale-quick" if args.quick else "scale"
    (args.results / f"{name}.md").write_text(markdown(results), encoding="utf-8")
    (args.results / f"{name}.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.results / name}.md in {results['meta']['duration_s']:.0f}s", flush=True)
    return 1 if any(row["problems"] for row in results["passes"]) else 0


if __name__ == "__main__":
    sys.exit(main())
