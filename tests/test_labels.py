"""The one label list: a label added in a user lexicon is classified, validated, routed and shown in digests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import source_entry
from test_notify import listing

from watcher.core.errors import ConfigError
from watcher.core.labels import load_labels, shipped

SANCTIONS = """
[scoring]
order = ["quota", "export_control", "enforcement", "deal", "market", "sanctions"]

[labels.sanctions]
description = "Sanctions lists naming mineral companies."
display = "SANCTIONS LIST"

[[labels.sanctions.terms]]
weight = 6.0
terms = ["sanctions list", "entity list"]
"""


def test_the_shipped_list_comes_from_the_lexicon_and_a_user_lexicon_extends_it(tmp_path: Path):
    # `overdue` is no classification: an [[expect]] entry's alert, routed like any label and shown first
    assert shipped().order == ("overdue", "quota", "export_control", "enforcement", "deal", "market", "irrelevant")
    assert shipped().display("export_control") == "EXPORT CONTROL" and shipped().display("irrelevant") == "OTHER"
    user = tmp_path / "lexicon.toml"
    user.write_text(SANCTIONS, "utf-8")
    labels = load_labels(user)
    assert labels.order[-2:] == ("sanctions", "irrelevant") and "sanctions" in labels.relevant
    assert labels.display("sanctions") == "SANCTIONS LIST"
    with pytest.raises(ConfigError, match="lexicon file not found"):
        load_labels(tmp_path / "missing.toml")


def _project(project, site, lexicon: str, severity: dict | None = None) -> None:
    (project.root / "lexicon.toml").write_text(lexicon, "utf-8")
    hooks = [("/hook", "procurement"), ("/ops", "ops"), ("/digest", "digest")]
    (project.alerts / "apprise.yml").write_text(
        "version: 1\nurls:\n"
        + "".join(f"  - {site.url(path).replace('http://', 'json://')}:\n      - tag: {tag}\n" for path, tag in hooks)
    )
    (project.alerts / "routes.toml").write_text(
        '[delivery]\nbackoff = "0s"\n[[digest]]\ntag = "digest"\n'
        '[[route]]\nlabels = ["sanctions"]\nseverity = ["high"]\ntags = ["procurement"]\n'
        '[[route]]\nlabels = ["sanctions", "market"]\ntags = ["digest"]\nmode = "digest"\n'
    )
    site.add("/list", listing("Lynas quarterly report published"))
    project.write_sources(
        source_entry("wire", site.url("/list"), item="ul.list > li", severity=severity or {"sanctions": "high"}),
        settings='host_interval = "0s"\nlexicon = "lexicon.toml"',
    )


def test_a_user_label_is_routed_and_shown_in_the_digest(site, project):
    _project(project, site, SANCTIONS)
    assert project.cli("check").exit_code == 0  # baseline
    site.pages["/list"].set_body(
        listing("US adds rare earth magnet maker to entity list", "Lynas quarterly report published").encode()
    )
    result = project.cli("check", "--json", "--no-notify")
    (line,) = [json.loads(text) for text in result.stdout.splitlines() if text.startswith("{")]
    assert (line["label"], line["severity"]) == ("sanctions", "high")
    assert "delivered 1 (procurement 1)" in project.cli("outbox", "send").output
    (alert,) = site.received("/hook")
    assert alert["title"].startswith("[SANCTIONS LIST · high]")
    assert "delivered 1 (digest 1)" in project.cli("outbox", "send", "--digests").output
    (digest,) = site.received("/digest")
    assert "**SANCTIONS LIST**" in digest["message"] and "entity list" in digest["message"]


def test_routes_and_sources_naming_an_unknown_label_are_configuration_errors(site, project):
    _project(project, site, SANCTIONS.replace("sanctions", "sanction"))
    result = project.cli("check")
    assert result.exit_code == 2
    assert "sources.toml: [[source]] 'wire' (entry 1): key 'severity': unknown label(s) sanctions" in result.output
    _project(project, site, SANCTIONS.replace("sanctions", "sanction"), severity={"sanction": "high"})
    result = project.cli("check")
    assert result.exit_code == 2
    assert "routes.toml: [[route]] entry 1: key 'labels': unknown label(s) sanctions" in result.output


def test_a_digest_shows_an_event_whose_label_the_list_does_not_know():
    """An event stored under a lexicon since changed must still be in the digest that marks it sent."""
    from watcher.notify.render import Renderer

    event = {
        "id": 1,
        "kind": "change",
        "label": "retired_label",
        "severity": "low",
        "title": "Old story about gallium",
        "summary": "",
        "url": "https://x.org/a",
        "published": None,
        "first_seen": "2025-01-01T00:00:00Z",
        "matched": [],
        "facts": {},
        "source": "wire",
    }
    message = Renderer(None).digest("digest", [event])
    assert "Old story about gallium" in message.body and "RETIRED LABEL" in message.body
