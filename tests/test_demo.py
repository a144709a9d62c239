"""`watcher demo`: the story runs offline through the real pipeline and every alert carries its facts."""

from __future__ import annotations

import json
import tempfile
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli
from watcher.core.errors import FetchError
from watcher.core.models import Validators
from watcher.demo.scenario import load_scenario
from watcher.demo.server import DemoServer
from watcher.fetch.http import Fetcher

SHIPPED = Path(__file__).parent.parent / "sources.toml"


def run(tmp_path: Path, *args: str):
    base = [
        "--sources",
        str(tmp_path / "none.toml"),
        "--state",
        str(tmp_path / "none-state"),
        "--alerts",
        str(tmp_path / "none-alerts"),
    ]
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


def cards(output: str) -> dict[str, str]:
    """The delivered cards by their title line (the line after a `#channel` header)."""
    found: dict[str, str] = {}
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("#procurement") or line.startswith("#ops") or line.startswith("#digest"):
            body = []
            for following in lines[index + 1 :]:
                if not following.startswith("┃"):
                    break
                body.append(following[2:])
            found[body[0]] = "\n".join(body)
    return found


@pytest.fixture
def temp_root(tmp_path, monkeypatch) -> Path:
    """A private temporary directory, to see what the demo leaves behind."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_demo_plays_the_story_and_every_alert_carries_its_facts(tmp_path, temp_root):
    result = run(tmp_path, "demo", "--pause", "0")
    assert result.exit_code == 0, result.output
    out = result.output
    delivered = cards(out)
    titles = list(delivered)
    assert len(titles) == 6, titles

    [quota_2023] = [title for title in titles if title.startswith("[QUOTA · high] MIIT: 2023 batch 1")]
    assert "mining quota 120,000 t" in quota_2023 and "工信部联原〔2023〕23号" in delivered[quota_2023]
    [quota_2024] = [title for title in titles if title.startswith("[QUOTA · high] MIIT: 2024 batch 1")]
    assert "135,000 t (+12.5%)" in quota_2024
    body = delivered[quota_2024]
    assert "Mining quota: 135,000 t (+15,000 t / +12.5% vs 2023 batch 1)" in body
    assert "Smelting/separation quota: 127,000 t (+12,000 t / +10.4% vs 2023 batch 1)" in body
    assert "工信部联原〔2024〕25号" in body

    [export] = [title for title in titles if title.startswith("[EXPORT CONTROL · high]")]
    assert export.endswith("MOFCOM Announcement No. 61 of 2025: export controls on overseas rare earth items")
    body = delivered[export]
    assert "Original title: 商务部公告2025第61号" in body  # the Chinese title stays beneath
    assert "Document: MOFCOM Announcement No. 61 of 2025 (商务部公告2025年第61号)" in body
    assert "Effective: 2025-12-01" in body and "Matched" not in body
    assert all(element in body for element in ("Sm", "Dy", "Gd", "Tb", "Lu", "Sc", "Y"))

    deal, apple = [title for title in titles if title.startswith("[DEAL · high]")]
    assert apple.endswith("Apple to invest $500mln in rare earths mine operator MP Materials, Fox Business reports")
    also = " ".join(delivered[apple].split("Also reported by: ")[1].split())  # four outlets in one check: one alert
    # naming the others (the card wraps lines where the outlets' order puts them)
    assert all(outlet in also for outlet in ("Reuters", "CNBC", "The Guardian")), also
    body = delivered[deal]
    assert "US$400 million" in body and "US$150 million" in body  # from the EX-99.1, through detail.follow
    assert "Transformational Public-Private Partnership" in body

    [enforcement] = [title for title in titles if title.startswith("[ENFORCEMENT")]
    assert "smuggle China's rare earths" in enforcement

    for quiet in ("LABUBU", "碧根果", "Gold price tops $4,000"):
        assert not any(quiet in title for title in titles), quiet
        assert any(
            line.startswith("  · recorded, no alert: [irrelevant]") and quiet in line for line in out.splitlines()
        ), quiet
    assert "$ watcher status" in out and "SOURCE" in out and "outbox: 0 pending, 0 dead" in out
    assert (
        "6 alerts: quota 2, export_control 1, enforcement 1, deal 2; "
        "irrelevant items recorded but not alerted: 3." in out
    )
    assert " ! " not in out and "\x1b[" not in out  # no mismatch, no colour when not a terminal
    assert list(temp_root.iterdir()) == []  # nothing left behind


def test_keep_leaves_a_state_that_history_reads(tmp_path, temp_root):
    kept = tmp_path / "kept"
    result = run(tmp_path, "demo", "--pause", "0", "--keep", str(kept))
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in kept.iterdir()) == ["alerts", "sources.toml", "state"]
    assert f"watcher --sources {kept}/sources.toml --state {kept}/state --alerts {kept}/alerts history" in result.output
    assert list(temp_root.iterdir()) == []

    history = CliRunner().invoke(
        cli,
        [
            "--sources",
            str(kept / "sources.toml"),
            "--state",
            str(kept / "state"),
            "--alerts",
            str(kept / "alerts"),
            "history",
            "--json",
        ],
        catch_exceptions=False,
    )
    assert history.exit_code == 0, history.output
    changes = [json.loads(line) for line in history.output.splitlines()]
    assert sorted(change["label"] for change in changes) == sorted(
        ["quota", "quota", "deal", "enforcement", "irrelevant", "irrelevant", "irrelevant", "export_control"]
        + ["deal"] * 4  # the Apple deal told by four outlets: four changes, one event
    )
    assert len({change["event_id"] for change in changes if change["label"] == "deal"}) == 2
    status = CliRunner().invoke(
        cli,
        [
            "--sources",
            str(kept / "sources.toml"),
            "--state",
            str(kept / "state"),
            "--alerts",
            str(kept / "alerts"),
            "status",
            "--json",
        ],
        catch_exceptions=False,
    )
    assert json.loads(status.output)["outbox"]["sent"] == 6

    again = run(tmp_path, "demo", "--pause", "0", "--keep", str(kept))
    assert again.exit_code == 2 and "not empty" in again.output


def test_live_sends_through_the_configured_channels(tmp_path, temp_root):
    alerts = tmp_path / "my-alerts"
    alerts.mkdir()
    sink = tmp_path / "sent.jsonl"
    (alerts / "apprise.yml").write_text(f"urls:\n  - jsonl://{sink}:\n      - tag: procurement, digest, ops\n")
    result = CliRunner().invoke(
        cli, ["--alerts", str(alerts), "demo", "--pause", "0", "--live"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert cards(result.output) == {}
    sent = [json.loads(line) for line in sink.read_text("utf-8").splitlines()]
    assert len(sent) == 6 and any("135,000 t (+12.5%)" in message["title"] for message in sent)
    assert "→ [deal · high] 8-K: MP Materials Announces Transformational Public-Private Partnership" in result.output
    assert (alerts / "apprise.yml").read_text().startswith("urls:")  # the user's file is left alone


def test_demo_sources_are_the_shipped_entries_with_only_enabled_changed():
    shipped = {entry["name"]: entry for entry in tomllib.loads(SHIPPED.read_text("utf-8"))["source"]}
    demo = tomllib.loads(load_scenario().sources_toml)
    assert demo["settings"]["host_interval"] == "0s"
    for entry in demo["source"]:
        original = dict(shipped[entry["name"]])
        original.pop("enabled", None)
        assert entry == original, entry["name"]


def test_mirror_answers_conditional_requests_and_rewrites_links():
    fetcher = Fetcher(user_agent="t", host_interval=0)
    with DemoServer(["www.sec.gov", "www.mining.com"]) as server:
        server.put(
            "https://www.mining.com/feed/",
            b"<rss><link>https://www.mining.com/a/</link><link>https://www.sec.gov/b</link></rss>",
            "application/rss+xml",
        )
        url = server.local("https://www.mining.com/feed/")
        assert url.startswith("http://127.0.0.1:")
        first = fetcher.fetch(url)
        assert first.status == 200 and server.origin("www.sec.gov").encode() + b"/b" in first.content
        assert b"https://" not in first.content
        again = fetcher.fetch(url, validators=Validators(first.etag, None))
        assert again.not_modified
        with pytest.raises(FetchError, match="HTTP 404"):
            fetcher.fetch(server.local("https://www.sec.gov/missing"), retries=0)
