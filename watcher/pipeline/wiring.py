"""Assemble a Pipeline from configuration: the one place where the stages are wired together."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcher.fetch.http import Fetcher
from watcher.pipeline.check import Analyzer, Pipeline
from watcher.pipeline.match import ItemFilter

if TYPE_CHECKING:
    from watcher.config.sources import Config, Source
    from watcher.core.models import Analysis, Change
    from watcher.store import Store


log = logging.getLogger(__name__)


def lexicon_loader(config: Config, eager: bool = False) -> Callable[[], Any]:
    """The configured lexicon (shipped rules plus [settings] lexicon), loaded once on first use.

    The lexicon (a few hundred compiled patterns) is loaded on the first change, so a pass in which
    nothing changed never pays for it; `eager` loads it now (a daemon validates it at start).
    """
    lexicon_file = config.lexicon_path
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
    return lexicon


def make_analyzer(
    config: Config, store: Store, eager: bool = False, lexicon: Callable[[], Any] | None = None
) -> Analyzer:
    """Classification, facts and severity for each change, with quota deltas against the stored history."""
    lexicon = lexicon or lexicon_loader(config, eager)

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
            title_is_context=change.diff is not None,  # a page edit: classify the lines it added, not the title
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
    placeholders = config.placeholder_contacts()
    if placeholders:
        log.warning(
            "%s: %s still send%s the placeholder contact e-mail: put your own address there "
            "(SEC EDGAR requires a real contact in the User-Agent)",
            config.path,
            ", ".join(placeholders),
            "s" if len(placeholders) == 1 else "",
        )
    fetcher = Fetcher(user_agent=settings.user_agent, host_interval=settings.host_interval)
    lexicon = lexicon_loader(config, eager=validate_alerts)
    pipeline = Pipeline(
        store=store,
        fetcher=fetcher,
        settings=settings,
        enricher=_detail_reader() if any(s.detail for s in config.sources) else None,
        analyzer=make_analyzer(config, store, lexicon=lexicon),
        item_filter=ItemFilter(lexicon),  # `match.labels` classify with the same rules as the alerts
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
