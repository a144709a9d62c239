"""Assemble a Pipeline from configuration: the one place where the stages are wired together."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from watcher.detail import DetailReader
from watcher.fetch import Fetcher
from watcher.pipeline import Analyzer, Pipeline

if TYPE_CHECKING:
    from watcher.config import Config, Source
    from watcher.models import Analysis, Change
    from watcher.store import Store


def make_analyzer(config: Config, store: Store) -> Analyzer:
    """Classification, facts and severity for each change, with quota deltas against the stored history."""
    from watcher.analyze import analyze, compute_quota_deltas
    from watcher.lexicon import load_lexicon

    lexicon_file = config.settings.lexicon
    if lexicon_file is not None and not lexicon_file.is_absolute():
        lexicon_file = config.path.parent / lexicon_file
    lexicon = load_lexicon(lexicon_file)

    def analyzer(change: Change, source: Source) -> Analysis:
        item = change.item
        text = change.analysis_text
        analysis = analyze(item.title, "" if text == item.title else text, official=source.official,
                           published=item.published, severity_override=source.severity, lexicon=lexicon)
        if analysis.label == "quota" and analysis.facts.get("year"):
            deltas = compute_quota_deltas(analysis.facts, store.quota_history())
            if deltas:
                analysis.facts["deltas"] = deltas
        return analysis

    return analyzer


def build_pipeline(config: Config, store: Store, alerts_dir: Path | None = None) -> Pipeline:
    """A pipeline for these sources and this state: HTTP client, classifier and router.

    Without `alerts_dir`, events are recorded but nothing is routed or delivered.
    """
    settings = config.settings
    fetcher = Fetcher(user_agent=settings.user_agent, host_interval=settings.host_interval)
    pipeline = Pipeline(store=store, fetcher=fetcher, settings=settings, enricher=DetailReader(),
                        analyzer=make_analyzer(config, store))
    if alerts_dir is not None:
        from watcher.notify import Router, build_notifier

        notifier = build_notifier(config, store, alerts_dir)
        pipeline.notifier = notifier
        pipeline.router = Router(notifier.routes)

        def deliver() -> str | None:
            report = notifier.drain()
            return str(report) if report else None

        pipeline.deliver = deliver
    return pipeline
