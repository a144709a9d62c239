"""`watcher demo`: the whole pipeline, offline, on bundled snapshots: the first thing to run without network."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from watcher.cli.context import AppContext

if TYPE_CHECKING:
    from watcher.demo.play import Outcome


@click.command()
@click.option(
    "--keep",
    "keep_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Keep sources.toml, alerts/ and state/ in DIR (new or empty) to explore afterwards.",
)
@click.option(
    "--live",
    is_flag=True,
    help="Send the alerts through your channels (the global --alerts directory) instead of the terminal.",
)
@click.option(
    "--pause",
    type=click.FloatRange(0, 60),
    default=0.5,
    show_default=True,
    metavar="SECONDS",
    help="Pause between the story's steps.",
)
@click.pass_context
def demo(ctx: click.Context, keep_dir: Path | None, live: bool, pause: float) -> None:
    """Play real rare-earth supply events through the whole pipeline, offline.

    Serves bundled snapshots of six shipped sources (MOFCOM, MIIT, GACC, SEC
    EDGAR, MINING.COM, Google News) from 127.0.0.1, takes a silent baseline,
    then publishes one event at a time, checks, classifies and delivers each
    alert as a Slack-like card. Ends with `watcher status` and a summary.
    Nothing is left behind unless --keep is given.

    \b
    Example:
        watcher demo
        watcher demo --pause 0 --keep /tmp/watcher-demo
        watcher --alerts alerts demo --live
    """
    from watcher.demo.play import Demo, Project
    from watcher.demo.scenario import load_scenario

    app: AppContext = ctx.obj
    scenario = load_scenario()
    with _workdir(keep_dir) as root:
        project = Project(root=root, alerts=app.alerts_dir if live else root / "alerts")
        click.secho(f"watcher demo: {scenario.title}", bold=True)
        click.echo(
            f"{len(scenario.pages)} shipped sources, served from 127.0.0.1; "
            f"{'alerts go to your channels in ' + str(app.alerts_dir) if live else 'alerts arrive below'}."
        )
        click.echo("")
        outcome = Demo(scenario, project, click.echo, pause=pause, live=live).run()
        kept = AppContext(sources_file=project.sources, state_dir=project.state, alerts_dir=project.alerts)
        click.echo("")
        click.secho("$ watcher status", bold=True)
        with click.Context(ctx.command, info_name="demo", parent=ctx, obj=kept) as status_ctx:
            from watcher.cli.status_cmd import status

            status_ctx.invoke(status, as_json=False)
        click.echo("")
        click.echo(_summary(outcome))
        if keep_dir is not None:
            kept_files = "sources.toml (pointing at the demo's mirrors, now stopped), " + (
                "state/" if live else "alerts/, state/"
            )
            click.echo(f"Kept in {root}: {kept_files}. Explore them with")
            click.echo(
                f"  watcher --sources {project.sources} --state {project.state} --alerts {project.alerts} history"
            )
    if outcome.problems or outcome.mismatches:
        ctx.exit(1)


def _summary(outcome: Outcome) -> str:
    """`5 alerts: quota 2, export_control 1, …; irrelevant items recorded but not alerted: 3.` and the delivery."""
    from watcher.demo.scenario import LABELS

    total = sum(outcome.alerts.values())
    order = {label: index for index, label in enumerate(LABELS)}
    labels = ", ".join(
        f"{label} {count}" for label, count in sorted(outcome.alerts.items(), key=lambda pair: order.get(pair[0], 99))
    )
    lines = [
        f"{total} alert{'s' if total != 1 else ''}: {labels or 'none'}; "
        f"irrelevant items recorded but not alerted: {len(outcome.quiet)}."
    ]
    delivered = sum(outcome.delivered.values())
    lines.append(
        f"{delivered} message{'s' if delivered != 1 else ''} delivered through Apprise "
        f"({', '.join(f'{tag} {count}' for tag, count in sorted(outcome.delivered.items())) or 'none'}) "
        f"in {outcome.seconds:.1f}s."
    )
    for problem in outcome.problems + outcome.mismatches:
        lines.append(f"! {problem}")
    return "\n".join(lines)


@contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="watcher-demo-") as temporary:
            yield Path(temporary)
        return
    if keep.exists() and any(keep.iterdir()):
        raise click.BadParameter(f"{keep} is not empty; give a new or empty directory", param_hint="--keep")
    keep.mkdir(parents=True, exist_ok=True)
    yield keep.resolve()
