"""One check of one source, start to finish: fetch, extract, diff, classify, store.

`check_source` is a plain function of (source, pipeline) so it can run in a
thread pool, a scheduler job, or one day a task queue. It never raises for a
source's own trouble: bad pages, dead hosts and broken selectors end as a
CheckResult with an error, recorded in the state.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from watcher.analyze.cluster import cluster_keys, story_features
from watcher.analyze.headline import english_headline
from watcher.analyze.summary import readable_title, summarize
from watcher.core.errors import BrokenSourceError, ExtractError, FetchError, StateError
from watcher.core.models import (
    Analysis,
    Change,
    CheckRecord,
    CheckResult,
    Fetched,
    NewEvent,
    SourceState,
    Validators,
    content_hash,
)
from watcher.diff import diff_items
from watcher.extract.registry import make_extractor
from watcher.fetch.reach import Reach
from watcher.pipeline import health
from watcher.pipeline.match import ItemFilter

if TYPE_CHECKING:
    from watcher.config.sources import Settings, Source
    from watcher.fetch.http import Fetcher
    from watcher.store import Store

log = logging.getLogger(__name__)

Analyzer = Callable[[Change, "Source"], Analysis]
Router = Callable[[NewEvent, "Source"], list[tuple[str, str, str | None]]]
Enricher = Callable[[list[Change], "Source", "Fetcher"], list[Change]]


@dataclass
class Pipeline:
    """What a check needs besides its source: state, HTTP, and the later stages."""

    store: Store
    fetcher: Fetcher
    settings: Settings
    analyzer: Analyzer | None = None
    router: Router | None = None
    enricher: Enricher | None = None
    # Fetching waits on the network, parsing holds the GIL: any number of workers may fetch, but only
    # about one per core parses at a time, which spares the switching and the memory of idle trees.
    parse_slots: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
    )
    deliver: Callable[[], str | None] | None = None  # drains the outbox; returns a short report
    notifier: Any = None  # watcher.notify.Notifier when alerts are delivered
    on_result: list[Callable[[CheckResult], None]] = field(default_factory=list)
    item_filter: ItemFilter = field(default_factory=ItemFilter)  # sources' `match`; wiring shares its lexicon


def check_source(source: Source, pipeline: Pipeline) -> CheckResult:
    """Check one source once and record what it found, in one transaction."""
    store = pipeline.store
    started_at = store.now()
    clock = time.monotonic()
    state = store.checks.source_state(source.name)
    reshaped = state.config_hash is not None and state.config_hash != source.config_hash
    conditional = state.baselined and not reshaped
    record = CheckRecord(
        source=source.name,
        url=source.url,
        kind=source.kind,
        config_hash=source.config_hash,
        started_at=started_at,
        duration=0.0,
        status="ok",
    )
    try:
        fetched = pipeline.fetcher.fetch(
            source.url,
            timeout=source.timeout,
            max_bytes=source.max_bytes,
            headers=source.headers,
            validators=state.validators if conditional else None,
            user_agent=source.user_agent,
            retries=source.retries,
            reach=Reach.for_source(source),
        )
        record.http_status, record.bytes = fetched.status, len(fetched.content)
        record.validators = _validators(fetched, state)
        if fetched.not_modified or (conditional and fetched.body_hash == state.body_hash):
            record.status = "unchanged"
        else:
            record.body_hash = fetched.body_hash
            _read_items(source, fetched, state, reshaped, record, pipeline)
    except FetchError as error:
        _fail(record, state, source, str(error), pipeline, http_status=error.status)
    except BrokenSourceError as error:
        _fail(record, state, source, str(error), pipeline, selector_broken=True)
    except ExtractError as error:
        _fail(record, state, source, str(error), pipeline)
    except Exception as error:  # a parser bug must not stop the other sources
        log.exception("unexpected error while checking %s", source.name)
        _fail(record, state, source, f"internal error: {type(error).__name__}: {error}", pipeline)
    if record.status in ("ok", "unchanged", "baseline"):
        _succeed(record, state, source, pipeline)
    record.duration = time.monotonic() - clock
    return _store(record, source, pipeline)


def _read_items(
    source: Source, fetched: Fetched, state: SourceState, reshaped: bool, record: CheckRecord, pipeline: Pipeline
) -> None:
    extractor = make_extractor(source.kind)
    with pipeline.parse_slots:
        items = extractor.extract(fetched, source)
    if not items and (state.item_count > 0 or not extractor.empty_ok):
        before = f"it matched {state.item_count} before" if state.item_count else "on the first check"
        raise BrokenSourceError(
            f"no items found ({before}): the page changed shape or the selector is wrong; "
            f"try `watcher sources try {source.url}`"
        )
    # after the emptiness test: a broad feed none of whose items is about our minerals today is not broken
    items, record.filtered = pipeline.item_filter.apply(items, source)
    record.items = items
    if not state.baselined or reshaped:
        record.baselined = True
        if source.baseline:
            record.status = "baseline"
            if reshaped:
                log.info("%s: configuration changed, re-baselining quietly", source.name)
            return
        record.changes = [Change(source.name, "new", item) for item in items]
    else:
        stored = pipeline.store.checks.stored_items(source.name, [item.id for item in items])
        record.changes = diff_items(source.name, items, stored, line_diff=not extractor.is_list)
    if pipeline.enricher is not None and source.detail is not None:
        record.changes = pipeline.enricher(record.changes, source, pipeline.fetcher)
    record.events = _events(record.changes, source, pipeline, document=not extractor.is_list)


def _events(changes: list[Change], source: Source, pipeline: Pipeline, document: bool = False) -> list[NewEvent]:
    if pipeline.analyzer is None:
        return []
    events = []
    for index, change in enumerate(changes):
        if change.change == "removed":
            continue
        event = event_of(change, pipeline.analyzer(change, source), source, document=document)
        event.change_index = index
        if pipeline.router is not None:
            event.routes = pipeline.router(event, source)
        events.append(event)
    return events


def event_of(change: Change, analysis: Analysis, source: Any, document: bool = False) -> NewEvent:
    """The event a change makes: its readable title and English headline, summary, facts, and what the store
    needs to merge it into its story (keys and story features). `source` needs `name`, `official`, `publisher`."""
    item = change.item
    title = readable_title(item.title, change.analysis_text)
    edit = change.diff is not None  # an edit of a watched page: its title names the page, not the story
    return NewEvent(
        source=source.name,
        label=analysis.label,
        severity=analysis.severity,
        title=title,
        url=item.url,
        published=item.published,
        summary=summarize(title, change.analysis_text, analysis.matched),
        matched=analysis.matched,
        facts=analysis.facts,
        # every edit of a page carries the page's title: it names the page, not the story, so it is no key
        keys=cluster_keys("" if edit else title, analysis.facts),
        headline=english_headline(title, analysis.label, analysis.facts, source.publisher).text,
        story={} if edit else story_features(title, analysis.facts, change.analysis_text),
        official=source.official,
        page=document,
        item_id=item.id,
        text_hash=content_hash(change.analysis_text),
    )


def _validators(fetched: Fetched, state: SourceState) -> Validators:
    if fetched.not_modified:  # a 304 may omit validators: keep what we sent
        return Validators(fetched.etag or state.etag, fetched.last_modified or state.last_modified)
    return Validators(fetched.etag, fetched.last_modified)


def _fail(
    record: CheckRecord,
    state: SourceState,
    source: Source,
    error: str,
    pipeline: Pipeline,
    *,
    http_status: int | None = None,
    selector_broken: bool = False,
) -> None:
    record.status = "broken" if selector_broken else "error"
    record.error = error
    record.http_status = http_status if http_status is not None else record.http_status
    record.items, record.changes, record.events, record.baselined = None, [], [], False
    record.filtered = 0
    record.validators = record.body_hash = None
    update = health.after_failure(
        state,
        source=source.name,
        url=source.url,
        now=record.started_at,
        error=error,
        threshold=pipeline.settings.failure_threshold,
        selector_broken=selector_broken,
    )
    _apply_health(record, update, source, pipeline)


def _succeed(record: CheckRecord, state: SourceState, source: Source, pipeline: Pipeline) -> None:
    update = health.after_success(state, source=source.name, url=source.url, now=record.started_at)
    _apply_health(record, update, source, pipeline)


def _apply_health(record: CheckRecord, update: health.HealthUpdate, source: Source, pipeline: Pipeline) -> None:
    record.failures, record.broken_since = update.failures, update.broken_since
    record.broken_alerted_at = update.broken_alerted_at
    if update.alert is not None:
        if pipeline.router is not None:
            update.alert.routes = pipeline.router(update.alert, source)
        record.events.append(update.alert)


def _store(record: CheckRecord, source: Source, pipeline: Pipeline) -> CheckResult:
    result = CheckResult(
        source=source.name,
        status=record.status,
        started_at=record.started_at,
        duration=record.duration,
        http_status=record.http_status,
        bytes=record.bytes,
        items=len(record.items or []),
        changes=record.changes,
        error=record.error,
        filtered=record.filtered,
    )
    try:
        result.events = pipeline.store.checks.record_check(record)
    except StateError as error:
        # Nothing of this check was written: the next check sees the same changes again, so none is lost.
        log.error("%s: %s", source.name, error)
        result.status, result.error, result.changes, result.events = "error", f"state: {error}", [], []
    for callback in pipeline.on_result:
        callback(result)
    _log_result(result)
    return result


def _log_result(result: CheckResult) -> None:
    level = logging.WARNING if result.status in ("error", "broken") else logging.INFO
    log.log(
        level,
        "check %s: %s in %.2fs, %d new, %d changed, %d removed%s%s",
        result.source,
        result.status,
        result.duration,
        result.count("new"),
        result.count("changed"),
        result.count("removed"),
        f", {result.filtered} left out by match" if result.filtered else "",
        f" ({result.error})" if result.error else "",
        extra={
            "source": result.source,
            "status": result.status,
            "duration": round(result.duration, 3),
            "new": result.count("new"),
            "changed": result.count("changed"),
            "removed": result.count("removed"),
            "filtered": result.filtered,
            "http_status": result.http_status,
        },
    )


def run_checks(sources: Iterable[Source], pipeline: Pipeline, workers: int = 8) -> Iterator[CheckResult]:
    """Check sources concurrently, yielding results as they finish."""
    sources = list(sources)
    if not sources:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sources))), thread_name_prefix="check") as pool:
        futures = [pool.submit(check_source, source, pipeline) for source in sources]
        for future in as_completed(futures):
            yield future.result()
