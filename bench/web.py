"""Web view at the size people reach: /events and /api/events with 100,000 events in the state, search included.

    . .venv/bin/activate && python bench/web.py              # 100,000 events: about 2 minutes here
    python bench/web.py --events 5000 --reps 5               # a smoke test

Steps:

1. A state made by watcher's own `Store.open` (schema, search index and its triggers), then 100,000 events
   bulk-inserted with plain SQL into that schema, each with its outlet, the change that found it (with the
   item's text) and, for alerts, a sent delivery: the triggers index every one as the daemon's writes would.
   Titles and texts are sentences cut from the demo's real notices and articles (Chinese and English), mixed
   by a seeded generator; labels, severities, sources and facts follow the proportions of bench/scale.py.
2. Each request below is timed through the WSGI app in-process (Flask's test client: no network) and over
   HTTP to waitress on 127.0.0.1 (one kept-alive connection), after one warm-up call; medians and p95 of
   `--reps` calls each.

Writes bench/results/web.md (and prints it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import html as lxml_html  # noqa: E402

from watcher.store import Store  # noqa: E402

LABELS = [("market", 40), ("deal", 25), ("enforcement", 15), ("export_control", 15), ("quota", 5)]
SEVERITIES = [("low", 50), ("medium", 35), ("high", 15)]
ELEMENTS = ["Ga", "Ge", "Sb", "Dy", "Tb", "Nd", "Pr", "W", "graphite"]
# Topical sentences mixed into texts at these rates, so searches for them find what they would in a real state.
TOPICAL = [
    (0.03, "商务部 海关总署公告 关于对镓、锗相关物项实施出口管制的公告"),
    (0.02, "China's export controls on gallium and germanium took effect on August 1."),
    (0.002, "关于对锑等物项实施出口管制的公告"),
    (0.01, "Dysprosium (Dy) and terbium oxide prices rose on the week."),
]
PARTIES = [
    "商务部",
    "工业和信息化部",
    "海关总署",
    "MP Materials",
    "Lynas",
    "中国稀土集团有限公司",
    "Iluka",
    "USA Rare Earth",
]

REQUESTS = [
    ("/events", "latest 50"),
    ("/events?label=quota", "label (5% of events)"),
    ("/events?source=source-0007", "source (1 of 40)"),
    ("/events?severity=high&label=deal", "severity and label"),
    ("/events?since={last_week}", "since a week before the newest"),
    ("/events?label=quota&severity=high&source=source-0007", "three filters, few matches"),
    ("/events?before=50000", "a page deep in the past (cursor)"),
    ("/events?q=gallium", "search: English word"),
    ("/events?q=%22export%20control%22", "search: English phrase"),
    ("/events?q=出口管制", "search: Chinese, 4 characters"),
    ("/events?q=总量控制指标", "search: Chinese, 6 characters"),
    ("/events?q=稀土", "search: Chinese, 2 characters (common)"),
    ("/events?q=镓", "search: Chinese, 1 character"),
    ("/events?q=锑", "search: Chinese, 1 character (rare)"),
    ("/events?q=Dy", "search: 2 Latin characters"),
    ("/events?q=稀土%20gallium", "search: two terms"),
    ("/events?q=zzqx", "search: no match"),
    ("/events?q=稀土&label=quota", "search and label"),
    ("/events?q=稀土&label=quota&severity=high&source=source-0007", "search and three filters, few matches"),
    ("/api/events", "API: latest 50"),
    ("/api/events?q=稀土&limit=100", "API: search, 100 a page"),
    ("/api/events?label=export_control&q=镓", "API: label and 1-character search"),
]


def corpus() -> tuple[list[str], list[str]]:
    """Sentences (Chinese and English) from the demo's bundled pages, and titles from their links."""
    sentences, titles = [], []
    for path in sorted((ROOT / "watcher" / "data" / "demo").rglob("*")):
        if path.suffix not in (".html", ".htm", ".xml", ".json") or not path.is_file():
            continue
        raw = path.read_bytes()
        try:
            text = lxml_html.fromstring(raw).text_content() if path.suffix != ".json" else raw.decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        for piece in re.split(r"(?<=[。！？.!?])\s*", text):
            piece = " ".join(piece.split())
            if 12 <= len(piece) <= 240:
                sentences.append(piece)
    for sentence in sentences:
        if len(sentence) <= 70:
            titles.append(sentence.rstrip("。."))
    return sentences, titles


def build(state_dir: Path, count: int, seed: int = 7) -> float:
    """`count` events through the store's schema; returns seconds taken."""
    rng = random.Random(seed)
    sentences, titles = corpus()
    store = Store.open(state_dir)
    labels, label_weights = zip(*LABELS, strict=True)
    severities, severity_weights = zip(*SEVERITIES, strict=True)
    start = time.perf_counter()
    base = 1_700_000_000
    span = 365 * 86400
    batch = 2000
    for first in range(0, count, batch):
        with store.transaction() as db:
            for index in range(first, min(first + batch, count)):
                label = rng.choices(labels, label_weights)[0]
                stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + span * index // count))
                source = f"source-{rng.randrange(40):04d}"
                title = rng.choice(titles)
                text = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 6)))
                text += "".join(" " + sentence for rate, sentence in TOPICAL if rng.random() < rate)
                facts: dict = {"parties": rng.sample(PARTIES, 2)}
                if label == "quota":
                    facts.update(
                        year=rng.randint(2018, 2026), batch=rng.randint(1, 3), mining_tonnes=rng.randint(6, 14) * 10_000
                    )
                if rng.random() < 0.3:
                    facts["elements"] = rng.sample(ELEMENTS, 2)
                cursor = db.execute(
                    "INSERT INTO events (kind, source, label, severity, title, summary, url, published, first_seen, "
                    "matched, facts, routed) VALUES ('change',?,?,?,?,?,?,?,?,?,?,1)",
                    [
                        source,
                        label,
                        rng.choices(severities, severity_weights)[0],
                        title,
                        text[:160],
                        f"https://example.gov/{index}.html",
                        stamp[:10],
                        stamp,
                        "[]",
                        json.dumps(facts, ensure_ascii=False),
                    ],
                )
                event_id = cursor.lastrowid
                db.execute(
                    "INSERT INTO event_sources (event_id, source, title, url, seen_at) VALUES (?,?,?,?,?)",
                    [event_id, source, title, f"https://example.gov/{index}.html", stamp],
                )
                db.execute(
                    "INSERT INTO changes (source, item_id, change, title, url, text, detected_at, event_id) "
                    "VALUES (?,?,'new',?,?,?,?,?)",
                    [source, f"item-{index}", title, f"https://example.gov/{index}.html", text, stamp, event_id],
                )
                db.execute(
                    "INSERT INTO deliveries (event_id, tag, mode, status, attempts, next_attempt_at, created_at, "
                    "sent_at) VALUES (?, 'procurement', 'immediate', 'sent', 1, ?, ?, ?)",
                    [event_id, stamp, stamp, stamp],
                )
    seconds = time.perf_counter() - start
    store.db.execute("PRAGMA optimize")
    store.close()
    return seconds


def timed(call, reps: int) -> tuple[float, float, int]:
    call()  # warm-up
    samples = []
    size = 0
    for _ in range(reps):
        started = time.perf_counter()
        size = call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))], size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "web.md")
    args = parser.parse_args()

    from watcher.web.app import create_app
    from watcher.web.context import WebOptions
    from watcher.web.server import WebServer

    with tempfile.TemporaryDirectory(prefix="watcher-web-bench-") as work:
        state = Path(work) / "state"
        build_seconds = build(state, args.events)
        size_mb = (state / "watcher.db").stat().st_size / 1e6
        app = create_app(WebOptions(state_dir=state))
        client = app.test_client()
        server = WebServer(app, "127.0.0.1", 0, what="the web view")
        server.start()
        host, port = server.address.rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=30)

        def in_process(path: str):
            def call() -> int:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                return len(re.findall(rb'class="event" data-id=|"id": ?\d', response.data))

            return call

        def over_http(path: str):
            target = quote(path, safe="/?=&%")

            def call() -> int:
                connection.request("GET", target)
                response = connection.getresponse()
                body = response.read()
                assert response.status == 200, (path, response.status)
                return len(body)

            return call

        newest = Store.open_reader(state).db.execute("SELECT MAX(first_seen) FROM events").fetchone()[0]
        last_week = time.strftime(
            "%Y-%m-%d", time.gmtime(time.mktime(time.strptime(newest[:10], "%Y-%m-%d")) - 7 * 86400)
        )
        rows = []
        for path, what in REQUESTS:
            path = path.format(last_week=last_week)
            wsgi_median, wsgi_p95, found = timed(in_process(path), args.reps)
            http_median, http_p95, _ = timed(over_http(path), args.reps)
            rows.append((what, path, found, wsgi_median, wsgi_p95, http_median, http_p95))
        connection.close()
        server.close()

    lines = [
        f"# Web view with {args.events:,} events",
        "",
        f"`python bench/web.py --events {args.events} --reps {args.reps}`: state built in {build_seconds:.1f} s "
        f"({args.events / build_seconds:,.0f} events/s with the search triggers), database {size_mb:,.0f} MB.",
        f"Medians and p95 of {args.reps} calls after one warm-up; in-process through the WSGI app, and over HTTP "
        "to waitress on 127.0.0.1.",
        "",
        "| request | path | rows | in-process median ms | p95 | HTTP median ms | p95 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for what, path, found, wm, wp, hm, hp in rows:
        lines.append(f"| {what} | `{path}` | {found} | {wm:.1f} | {wp:.1f} | {hm:.1f} | {hp:.1f} |")
    worst = max(max(row[3], row[5]) for row in rows)
    lines += ["", f"Slowest median: {worst:.1f} ms (target: under 200 ms)."]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, "utf-8")
    print(text)


if __name__ == "__main__":
    main()
