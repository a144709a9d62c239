"""The README documents every command, option and configuration key that exists."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from watcher.cli import COMMANDS, cli
from watcher.config.sources import Common, Settings
from watcher.extract.registry import get_kind, kind_names

README = (Path(__file__).parent.parent / "README.md").read_text("utf-8")


def commands() -> list[tuple[str, click.Command]]:
    context = click.Context(cli)
    found = []
    for name in cli.list_commands(context):
        command = cli.get_command(context, name)
        found.append((name, command))
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", command.get_command(context, sub)) for sub in command.list_commands(context)]
    return found


@pytest.mark.parametrize(("name", "command"), commands(), ids=lambda value: value if isinstance(value, str) else "")
def test_every_command_and_option_is_in_the_readme(name, command):
    assert f"watcher {name}" in README, f"`watcher {name}` is not documented"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            for flag in [*param.opts, *param.secondary_opts]:
                if flag.startswith("--") and flag != "--help":
                    assert f"`{flag}" in README, f"`watcher {name} {flag}` is not documented"
    assert "Example:" in (command.help or ""), f"`watcher {name}` has no Example: in its help"


def test_global_options_are_documented():
    for param in cli.params:
        for flag in param.opts:
            if flag.startswith("--") and flag != "--help":
                assert f"`{flag}" in README, flag


def test_every_configuration_key_is_documented():
    keys = [*Settings.model_fields, *Common.model_fields]
    for kind in kind_names():
        keys += list(get_kind(kind).Options.model_fields)
        assert f"**`{kind}`**" in README, kind
    for key in keys:
        assert f"`{key}`" in README, key


def test_help_lists_every_available_command():
    from click.testing import CliRunner

    output = CliRunner().invoke(cli, ["--help"]).output
    for name in cli.list_commands(click.Context(cli)):
        assert name in output and COMMANDS[name][2].split(":")[0][:20] in output


def test_examples_name_sources_the_shipped_file_has():
    """A new user copies `watcher history --source X` from --help or the README: X must exist."""
    import re

    from watcher.config.sources import load_config

    shipped = {source.name for source in load_config(Path(__file__).parent.parent / "sources.toml").sources}
    texts = [("README.md", README)] + [(f"watcher {name} --help", command.help or "") for name, command in commands()]
    pattern = re.compile(r"(?:--source[ =]|-s |source=\")([a-z][a-z0-9._-]+)")
    named = {(where, name) for where, text in texts for name in pattern.findall(text)}
    assert named, "the pattern finds the examples"
    assert sorted((where, name) for where, name in named if name not in shipped and name != "NAME") == []


def test_no_instruction_installs_the_other_watcher_from_pypi():
    """`watcher` on PyPI is an unrelated file watcher: we are `watcher-alerts`, installed from the clone or a wheel."""
    import re
    import tomllib

    root = Path(__file__).parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["name"] == "watcher-alerts" and project["scripts"] == {"watcher": "watcher.cli:main"}
    by_name = re.compile(r"pip install\s+(?:-\S+\s+)*['\"]?watcher(?:\[[^\]]*\])?['\"]?(?:\s|$)")
    for path in [root / "README.md", root / "Dockerfile", *sorted((root / "deploy").iterdir())]:
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            assert not by_name.search(line), f"{path.name}:{number} installs PyPI's `watcher`: {line.strip()}"


def test_the_cli_reference_is_what_cog_generates_from_the_commands():
    """The README's `--help` of every command is generated (cog); a changed option or help text shows up here."""
    import subprocess
    import sys

    root = Path(__file__).parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "--diff", "README.md"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"run `cog -r README.md`:\n{result.stdout}{result.stderr}"
