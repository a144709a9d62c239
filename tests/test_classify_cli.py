"""`watcher classify` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from watcher.cli import cli


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["classify", *args], input=input)


def test_readable_output():
    result = run("China sets first batch of 2022 rare earth output quota at 100,800 tonnes")
    assert result.exit_code == 0, result.output
    assert "label:     quota" in result.output
    assert "severity:  high" in result.output
    assert "matched:   quota, first batch, rare earth" in result.output
    assert "mining_tonnes: 100,800" in result.output and "year: 2022" in result.output


def test_json_and_official_flag():
    text = "商务部 海关总署公告2025年第18号 公布对部分中重稀土相关物项实施出口管制的决定"
    reported = json.loads(run("--json", text).output)
    official = json.loads(run("--json", "--official", text).output)
    assert reported["label"] == official["label"] == "export_control"
    assert (reported["severity"], official["severity"]) == ("high", "high")  # the doc number makes it actionable
    assert official["facts"]["doc_no"] == "商务部 海关总署公告2025年第18号"
    plain = json.loads(run("--json", "--official", "China tightens rare earth export controls").output)
    assert plain["severity"] == "high"
    assert json.loads(run("--json", "China tightens rare earth export controls").output)["severity"] == "medium"


def test_user_lexicon(tmp_path: Path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[labels.deal.terms]]\nweight = 9.0\nterms = ["unveils widget"]\n', "utf-8")
    text = "Rare earth magnet maker unveils widget"
    assert json.loads(run("--json", text).output)["label"] == "market"
    assert json.loads(run("--json", "--lexicon", str(rules), text).output)["label"] == "deal"


def test_bad_lexicon_is_a_readable_error(tmp_path: Path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[[labels.deal.terms]]\nweight = 'x'\nterms = ['a']\n", "utf-8")
    result = run("--lexicon", str(rules), "text")
    assert result.exit_code == 2
    assert "rules.toml" in result.output and "labels.deal.terms" in result.output
    assert "Traceback" not in result.output


def test_jsonl_from_stdin_keeps_order_and_fields():
    lines = [
        {"id": 1, "text": "Hong Kong customs seize antimony amid China's export controls"},
        {"id": 2, "title": "今年首批稀土开采指标下达", "text": "", "published": "2024-02-22", "official": True},
        {"id": 3, "text": "Gold Hits Record High as Investors Bet on Fed Rate Cuts"},
    ]
    result = run("--jsonl", "-", input="\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == [1, 2, 3]
    assert [o["label"] for o in out] == ["enforcement", "quota", "irrelevant"]
    assert out[1]["facts"]["year"] == 2024 and out[1]["severity"] == "high"
    assert all({"label", "severity", "matched", "facts"} <= set(o) for o in out)


def test_jsonl_file(tmp_path: Path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"text": "China bans export of rare earths processing technologies"}) + "\n", "utf-8")
    out = json.loads(run("--jsonl", str(path)).output)
    assert out["label"] == "export_control"


def test_malformed_line_names_the_line_number():
    good = json.dumps({"text": "China expands export controls on rare earths"})
    result = run("--jsonl", "-", input=f"{good}\n{{not json\n{good}\n")
    assert result.exit_code == 1
    assert "line 2" in result.output and "not valid JSON" in result.output
    assert "Traceback" not in result.output
    assert json.loads(result.output.splitlines()[0])["label"] == "export_control"  # earlier lines were written
    for bad, why in (('["a list"]', "expected a JSON object"), ('{"title": "no text"}', '"text"')):
        result = run("--jsonl", "-", input=bad + "\n")
        assert result.exit_code == 1 and "line 1" in result.output and why in result.output


def test_needs_text_or_jsonl():
    assert run().exit_code == 2
    assert run("--jsonl", "-", "text", input="").exit_code == 2


def test_help_has_an_example():
    result = run("--help")
    assert result.exit_code == 0 and "Example:" in result.output
