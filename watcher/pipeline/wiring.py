"""Assemble a Pipeline from configuration: the one place where the stages are wired together."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcher.fetch.http import Fetcher
from watcher.pipeline.check import Analyzer, Pipeline

if TYPE_CHECKING:
    from watcher.config.sources import Config, Source
    from watcher.core.models import Analysis, Change
    from watcher.store import Store


def make_analyzer(config: Config, store: Store, eager: bool = False) -> Analyzer:
    """Classification, facts and severity for each change, with quota deltas against the stored history.

    The lexicon (a few hundred compiled patterns) is loaded on the first change, so a pass in which
    nothing changed never pays for it; `eager` loads it now (a daemon validates it at start).
    """
    lexicon_file = config.settings.lexicon
    if lexicon_file is not None and not lexicon_file.is_absolute():
        lexicon_file = config.path.parent / lexicon_file
    loaded: list[Any] = []
    lock = threading.Lock()

    def lexicon() -> Any:
        with lock:
            if not loaded:
                from watcher.analyze.lexicon import load_lexicon

                loaded.append(load_lexicon(lexicon_file))
            return loaded[0]

    if eager:
        lexicon()

    def analyzer(change: Change, source: Source) -> Analysis:
        from watcher.analyze.analysis import analyze, compute_quota_deltas

        item = change.item
        text = change.analysis_text
        analysis = analyze(
            item.title,
            "" if text == item.title else text,
            official=source.official,
            published=item.published,
            severity_override=source.severity,
            lexicon=lexicon(),
        )
        if analysis.label == "quota" and analysis.facts.get("year"):
            year = analysis.facts["year"]
            deltas = compute_quota_deltas(analysis.facts, store.events.quota_history((year - 1, year)))
            if deltas:
                analysis.facts["deltas"] = deltas
        if analysis.label == "quota":
            _flag_withheld(analysis, f"{item.title}\n{text}", store)
        return analysis

    return analyzer


def _flag_withheld(analysis: Analysis, text: str, store: Store) -> None:
    """A quota notice without tonnage gets `figures_withheld`, and the last published figures to compare."""
    from watcher.analyze.notice_history import load_notices, withheld_facts

    analysis.facts.update(
        withheld_facts(analysis.facts, analysis.label, text, lambda: [*load_notices(), *store.events.quota_history()])
    )


def _detail_reader() -> Any:
    from watcher.extract.detail import DetailReader

    return DetailReader()


def build_pipeline(
    config: Config, store: Store, alerts_dir: Path | None = None, validate_alerts: bool = True
) -> Pipeline:
    """A pipeline for these sources and this state: HTTP client, classifier and router.

    Without `alerts_dir`, events are recorded but nothing is routed or delivered. With
    `validate_alerts=False` (a one-shot `watcher check`), channels and templates load only when
    something is due, so a check with nothing to send does not import Apprise.
    """
    from watcher.pipeline.expect import load_histories

    load_histories(config)  # a broken history file fails the start or the reload, not an evaluation
    settings = config.settings
    fetcher = Fetcher(user_agent=settings.user_agent, host_interval=settings.host_interval)
    pipeline = Pipeline(
        store=store,
        fetcher=fetcher,
        settings=settings,
        enricher=_detail_reader() if any(s.detail for s in config.sources) else None,
        analyzer=make_analyzer(config, store, eager=validate_alerts),
    )
    if alerts_dir is not None:
        from watcher.notify.routes import Router
        from watcher.notify.setup import build_notifier

        notifier = build_notifier(config, store, alerts_dir, validate=validate_alerts)
        pipeline.notifier = notifier
        pipeline.router = Router(notifier.routes)

        def deliver() -> str | None:
            report = notifier.drain()
            return str(report) if report else None

        pipeline.deliver = deliver
    return pipeline
