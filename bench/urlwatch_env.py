"""urlwatch 2.29 as a contender: its own cached venv, its job files, and reading its report.

urlwatch is not a dependency of watcher, so it lives in `bench/.work/urlwatch-venv`,
made once with pinned versions and reused while `urlwatch --version` still says 2.29.

Job configuration (one job per page, urls.yaml documents separated by `---`):

    name: p0001
    url: http://127.0.0.1:PORT/p/1
    filter:
      - css: ul.txtList_01
      - html2text: re

`html2text` with no method is `re` in 2.29 (a regex tag stripper, no system
package needed); `--urlwatch-html2text pyhtml2text` selects the `html2text`
Python module instead (it keeps link targets, and costs more). Every file
urlwatch reads or writes (`--urls`, `--config`, `--hooks`, `--cache`, and HOME
and the XDG dirs) is inside the run's temp dir. The config enables only the
stdout reporter, without colour. urlwatch 2.29 always runs its jobs on a
ThreadPoolExecutor of 10 (worker.MAX_WORKERS); no setting changes that.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

VERSION = "2.29"
# What `pip install urlwatch==2.29 html2text` resolved to when the benchmark was written; pinned to stay comparable.
REQUIREMENTS = [
    "urlwatch==2.29",
    "html2text==2025.4.15",
    "minidb==2.0.8",
    "PyYAML==6.0.4",
    "requests==2.34.2",
    "lxml==6.1.3",
    "cssselect==1.6.0",
    "platformdirs==4.14.8",
    "keyring==25.7.0",
]

CONFIG_YAML = """\
display:
  new: true
  error: true
  unchanged: false
  empty-diff: true
report:
  text:
    details: true
    footer: false
    minimal: false
  stdout:
    enabled: true
    color: false
"""

_HEADER = re.compile(r"^(NEW|CHANGED|ERROR): (\S+)", re.M)


def venv_dir(work: Path) -> Path:
    return work / "urlwatch-venv"


def executable(work: Path) -> Path:
    return venv_dir(work) / "bin" / "urlwatch"


def installed_version(work: Path) -> str | None:
    exe = executable(work)
    if not exe.exists():
        return None
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60, check=False)
    return result.stdout.split()[-1] if result.returncode == 0 and result.stdout.split() else None


def ensure(work: Path, log=print) -> Path:
    """Create or reuse the venv; return the urlwatch executable. Raises RuntimeError if pip fails."""
    if installed_version(work) == VERSION:
        return executable(work)
    venv = venv_dir(work)
    log(f"installing urlwatch {VERSION} into {venv} (once; it is reused by later runs)")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    result = subprocess.run([*pip, *REQUIREMENTS], capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pip install urlwatch=={VERSION} failed:\n{result.stderr[-2000:]}")
    if installed_version(work) != VERSION:
        raise RuntimeError(f"urlwatch in {venv} does not report version {VERSION}")
    return executable(work)


def write_jobs(directory: Path, urls: list[tuple[str, str]], html2text_method: str) -> None:
    """urls.yaml (one job per page), config.yaml and an empty hooks.py, all inside `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    jobs = [
        f"name: {name}\nurl: {url}\nfilter:\n  - css: ul.txtList_01\n  - html2text: {html2text_method}\n"
        for name, url in urls
    ]
    (directory / "urls.yaml").write_text("---\n".join(jobs), encoding="utf-8")
    (directory / "config.yaml").write_text(CONFIG_YAML, encoding="utf-8")
    (directory / "hooks.py").write_text("", encoding="utf-8")


def command(exe: Path, directory: Path) -> list[str]:
    return [
        str(exe),
        "--urls",
        str(directory / "urls.yaml"),
        "--config",
        str(directory / "config.yaml"),
        "--hooks",
        str(directory / "hooks.py"),
        "--cache",
        str(directory / "cache.db"),
    ]


def environment(directory: Path) -> dict[str, str]:
    """Keep urlwatch (platformdirs, keyring) away from the user's real home."""
    home = directory / "home"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("URLWATCH", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local/share"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    return env


def reported(stdout: str) -> dict[str, set[str]]:
    """Job names per report section: {'NEW': {...}, 'CHANGED': {...}, 'ERROR': {...}}."""
    found: dict[str, set[str]] = {"NEW": set(), "CHANGED": set(), "ERROR": set()}
    for kind, name in _HEADER.findall(stdout):
        found[kind].add(name)
    return found


def added_lines(stdout: str) -> list[str]:
    """The '+' lines of the unified diffs, without the '+++' file headers."""
    return [line[1:] for line in stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]
