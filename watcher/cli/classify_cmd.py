"""`watcher classify`: label a text, rate it and extract its facts, without fetching anything.

For trying rules (with `--lexicon` to test a user file before deploying it)
and for batch use on JSON lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import click


def _format_value(key: str, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int) and ("tonnes" in key or "amount" in key):
        return f"{value:,}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _readable(analysis: Any) -> str:
    lines = [
        f"label:     {analysis.label} (score {analysis.score:g})",
        f"severity:  {analysis.severity}",
        f"matched:   {', '.join(analysis.matched) or '-'}",
        "facts:" + ("" if analysis.facts else "     -"),
    ]
    for key, value in analysis.facts.items():
        if key in ("money", "tonnages", "dates"):  # the detailed lists behind the headline facts
            continue
        lines.append(f"  {key}: {_format_value(key, value)}")
    return "\n".join(lines)


def _explained(report: dict[str, Any]) -> str:
    """The --explain view: one line per part that voted, then the decision."""
    gate = report["gate"]
    lines = [
        f"decision:  {report['label']} (decided by {report['decided_by']})",
        f"relevance: gate {gate['score']:g} (threshold {gate['threshold']:g}): "
        + ("about critical-mineral supply" if gate["score"] >= gate["threshold"] else "no critical-mineral term"),
        f"rules:     alone they say {report['rules_label']}",
    ]
    for label, part in report["rules"].items():
        if label != "gate" and (part["score"] or part["terms"]):
            lines.append(f"  {label:<15} {part['score']:>6g}  {', '.join(part['terms']) or '-'}")
    model = report.get("model")
    if model is None:
        lines.append("model:     off ([model] enabled = false)")
    else:
        lines.append("model:     p = softmax(bias + rule groups + n-grams)")
        for label, part in sorted(model.items(), key=lambda item: -item[1]["p"]):
            top = ", ".join(f"{feature} {value:+.2f}" for feature, value in part["top"]) or "-"
            lines.append(
                f"  {label:<15} p {part['p']:.3f} = {part['bias']:+.2f} {part['rules']:+.2f} {part['ngrams']:+.2f}"
                f"   {top}"
            )
    if "combined" in report:
        mix = ", ".join(f"{label} {p:.3f}" for label, p in sorted(report["combined"].items(), key=lambda i: -i[1]))
        lines.append(f"mix:       {mix}")
    return "\n".join(lines)


def _jsonl(stream: IO[str], name: str, official: bool, published: str | None, lexicon: Any) -> None:
    from watcher.analyze.analysis import analyze

    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise click.ClickException(f"{name}, line {number}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise click.ClickException(f"{name}, line {number}: expected a JSON object, got {type(record).__name__}")
        text, title = record.get("text"), record.get("title", "")
        if not isinstance(text, str) or not isinstance(title, str):
            raise click.ClickException(f'{name}, line {number}: "text" (and "title", if given) must be strings')
        result = analyze(
            title,
            text,
            official=bool(record.get("official", official)),
            published=record.get("published") or published,
            lexicon=lexicon,
        )
        record.update(label=result.label, severity=result.severity, matched=result.matched, facts=result.facts)
        click.echo(json.dumps(record, ensure_ascii=False))


@click.command()
@click.argument("text", required=False)
@click.option("--official", is_flag=True, help="Treat the text as coming from an official primary source.")
@click.option("--published", metavar="DATE", help="Publication date (YYYY-MM-DD); resolves 今年 / 'this year'.")
@click.option(
    "--lexicon",
    "lexicon_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A user lexicon TOML merged over the shipped rules.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of readable lines.")
@click.option(
    "--explain", is_flag=True, help="Also show how each part voted: the gate, the rules, the model and the mix."
)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("r", encoding="utf-8"),
    metavar="FILE",
    help="Read JSON lines with a `text` field (optional `title`, `published`, `official`); '-' is stdin. "
    "Each object is written back with label, severity, matched and facts added.",
)
def classify(
    text: str | None,
    official: bool,
    published: str | None,
    lexicon_file: Path | None,
    as_json: bool,
    explain: bool,
    jsonl: IO[str] | None,
) -> None:
    """Classify TEXT (a headline or a notice) and print its label, severity, deciding terms and facts.

    \b
    Example:
        watcher classify "China sets first batch of 2022 rare earth output quota at 100,800 tonnes"
        watcher classify --official --json "商务部 海关总署公告2025年第18号 对中重稀土物项实施出口管制"
        watcher classify --lexicon my_rules.toml "Hong Kong customs seize antimony"
        watcher classify --jsonl headlines.jsonl > labelled.jsonl
        watcher classify --explain "China to require permits for shipments of graphite anode material"
    """
    from watcher.analyze.analysis import analyze
    from watcher.analyze.lexicon import load_lexicon

    if (text is None) == (jsonl is None):
        raise click.UsageError("give either TEXT or --jsonl FILE")
    lexicon = load_lexicon(lexicon_file)
    if jsonl is not None:
        _jsonl(jsonl, "stdin" if jsonl.name == "<stdin>" else jsonl.name, official, published, lexicon)
        return
    result = analyze(text or "", official=official, published=published, lexicon=lexicon)
    report = None
    if explain:
        from watcher.analyze.classify import explain as explain_votes

        report = explain_votes(text or "", "", lexicon)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "text": text,
                    "label": result.label,
                    "severity": result.severity,
                    "score": result.score,
                    "matched": result.matched,
                    "facts": result.facts,
                    **({"explain": report} if report is not None else {}),
                },
                ensure_ascii=False,
            )
        )
    else:
        click.echo(_readable(result))
        if report is not None:
            click.echo(_explained(report))
