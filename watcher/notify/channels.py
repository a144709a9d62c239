"""Delivery channels from `alerts/apprise.yml`: Apprise's own YAML, secrets from the environment.

`${SLACK_WEBHOOK}` in the file is replaced by that environment variable, so
the file itself can hold no secret. A file that is readable by everyone and
does hold a secret gets a warning. Every URL is only ever shown in Apprise's
masked form.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apprise
from apprise import OverflowMode

import watcher.notify.targets  # noqa: F401  (registers console:// and jsonl://)
from watcher.core.errors import ConfigError
from watcher.core.logs import add_secrets, held, mask

log = logging.getLogger(__name__)

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEFAULT_CONFIG = "urls:\n  - console://:\n      - tag: procurement, ops, digest\n"


@dataclass(frozen=True)
class Target:
    """One Apprise service under one tag: its stable id and its masked URL (safe to show)."""

    id: str
    masked: str
    service: Any  # an Apprise plugin instance


class Channels:
    """The configured Apprise services, looked up by tag."""

    def __init__(self, app: apprise.Apprise, path: Path | None) -> None:
        self.app = app
        self.path = path

    def targets(self, tag: str) -> list[Target]:
        found = []
        for service in self.app.find(tag):
            masked = mask(service.url(privacy=True))  # also hides what ${VAR} brought in, e.g. a token in a path
            found.append(Target(id=service.url_id() or service.url(privacy=True), masked=masked, service=service))
        return found

    def tags(self) -> list[str]:
        names: set[str] = set()
        for service in self.app:
            names.update(str(tag) for tag in getattr(service, "tags", ()) or ())
        return sorted(names)

    def all_targets(self) -> list[tuple[str, Target]]:
        return [(tag, target) for tag in self.tags() for target in self.targets(tag)]


def load_channels(alerts_dir: Path | None) -> Channels:
    """Read alerts/apprise.yml (or deliver to the console when there is none)."""
    path = alerts_dir / "apprise.yml" if alerts_dir is not None else None
    if alerts_dir is not None and path is not None and not path.exists() and (alerts_dir / "apprise.yaml").exists():
        path = alerts_dir / "apprise.yaml"
    if path is None or not path.exists():
        text, where = DEFAULT_CONFIG, "built-in default (console)"
    else:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: cannot read: {error}") from None
        where = str(path)
    add_secrets(_env_values(text))  # before anything logs the expanded text
    expanded = _expand_env(text, where)
    entries = _validate_yaml(expanded, where)
    with held("apprise"):  # Apprise dumps the configuration it loads at debug level: out only once masked
        config = apprise.AppriseConfig()
        config.add_config(expanded, format="yaml")
        app = apprise.Apprise()
        app.add(config)
        services = list(app)
        add_secrets(secret for service in services for secret in service_secrets(service))
    if len(services) < entries:
        raise ConfigError(
            f"{where}: {entries - len(services)} of {entries} URLs are not valid Apprise URLs",
            hint="check each URL against https://github.com/caronc/apprise/wiki; "
            "`watcher notify-test` shows which targets loaded",
        )
    for service in services:
        if service.overflow_mode == OverflowMode.UPSTREAM:  # Apprise's default: cut to the channel's limit
            service.overflow_mode = OverflowMode.TRUNCATE
    if path is not None and path.exists():
        _warn_if_exposed(path, text, services)
    return Channels(app, path)


def _expand_env(text: str, where: str) -> str:
    missing = sorted({name for name in _ENV.findall(_uncommented(text)) if name not in os.environ})
    if missing:
        raise ConfigError(
            f"{where}: environment variable(s) {', '.join(missing)} not set",
            hint="export them in the service's environment (e.g. systemd EnvironmentFile=)",
        )
    return "\n".join(
        line if line.lstrip().startswith("#") else _ENV.sub(lambda m: os.environ[m.group(1)], line)
        for line in text.splitlines()
    )


def _env_values(text: str) -> list[str]:
    """The values `${VAR}` brings into the file: each is a secret, or part of one. A whole URL is also
    registered without its scheme, the form a plugin logs it in (`json://h/p/TOKEN` is posted to `http://h/p/TOKEN`)."""
    values = [os.environ[name] for name in _ENV.findall(_uncommented(text)) if name in os.environ]
    return values + [value.split("://", 1)[1] for value in values if "://" in value]


def service_secrets(service: Any) -> set[str]:
    """What an Apprise service must never show: the tokens its plugin declares private (passwords, webhook
    tokens, API keys), and whatever its full URL has that its masked URL hides."""
    secrets: set[str] = set()
    declared = {**getattr(service, "template_tokens", {}), **getattr(service, "template_args", {})}
    for key, spec in declared.items():
        if isinstance(spec, dict) and spec.get("private"):
            value = getattr(service, spec.get("map_to", key), None)
            values = value if isinstance(value, list | tuple | set) else [value]
            secrets.update(item for item in values if isinstance(item, str) and item)
    if isinstance(getattr(service, "password", None), str) and service.password:
        secrets.add(service.password)
    full, masked = service.url(), service.url(privacy=True)
    secrets.update(part for part in re.split(r"[/:@?&=]", full) if len(part) >= 6 and part not in masked)
    return secrets


def _uncommented(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _validate_yaml(text: str, where: str) -> int:
    """Check the file's shape (Apprise would silently ignore a broken one); return the number of URLs."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{where}: YAML syntax error{at}: {getattr(error, 'problem', error)}") from None
    if data is None:
        return 0
    if not isinstance(data, dict) or "urls" not in data:
        raise ConfigError(
            f"{where}: expected a mapping with a 'urls:' list (Apprise YAML configuration)",
            hint="see alerts/apprise.yml shipped with watcher for the format",
        )
    urls = data.get("urls") or []
    if not isinstance(urls, list):
        raise ConfigError(f"{where}: 'urls' must be a list")
    return len(urls)


def _warn_if_exposed(path: Path, raw: str, services: list[Any]) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & stat.S_IROTH:
        return
    literal = _ENV.sub("", raw)
    if any(
        service.url(privacy=True) != service.url() and _has_literal_secret(service, literal) for service in services
    ):
        log.warning(
            "%s is readable by every user (mode %o) and holds secrets: chmod 600 it, "
            "or move the secrets to ${ENVIRONMENT} variables",
            path,
            mode,
        )


def _has_literal_secret(service: Any, raw: str) -> bool:
    """Whether a secret of this service is written in the file itself (not via ${VAR})."""
    return any(secret in raw for secret in service_secrets(service))
