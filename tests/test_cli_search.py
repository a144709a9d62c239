"""`watcher search` through the CLI on a state filled by the demo and checks of loopback sources."""

from __future__ import annotations

import json

import pytest
import webstate


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    built = webstate.build(tmp_path_factory.mktemp("search") / "project")
    yield built
    built.site.close()


@pytest.mark.parametrize("terms", [("镓",), ("稀土",), ("gallium",), ("rare earth",), ("镓", "gallium")], ids=str)
def test_watcher_search_finds_exactly_the_matching_events(state, project, terms):
    result = project.cli("--state", str(state.state), "search", *terms, "--json")
    assert result.exit_code == 0
    found = [json.loads(line)["id"] for line in result.output.splitlines()]
    text = " ".join(f'"{term}"' if " " in term else term for term in terms)
    assert found == state.oracle(text=text) and found


def test_watcher_search_with_label_and_since(state, project):
    result = project.cli("--state", str(state.state), "search", "稀土", "--label", "quota", "--json")
    assert [json.loads(line)["id"] for line in result.output.splitlines()] == state.oracle(
        text="稀土", labels=("quota",)
    )
    result = project.cli("--state", str(state.state), "search", "稀土", "--since", "2999-01-01")
    assert result.exit_code == 0 and result.output.strip() == "no events match"
    result = project.cli("--state", str(state.state), "search", "gallium")
    assert "loopback-wire" in result.output and "export_control/high" in result.output
    result = project.cli("--state", str(state.state), "search", "x", "--since", "soon")
    assert result.exit_code == 2 and "use a date" in result.output
