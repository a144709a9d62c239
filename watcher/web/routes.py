"""The pages and feeds: each reads one view of the store and renders one template (or one document)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, abort, make_response, redirect, render_template, request, stream_with_context
from flask import url_for as flask_url_for

from watcher.store.search import QueryTooBroad
from watcher.store.views import EventPage, EventQuery
from watcher.web import feeds
from watcher.web.auth import COOKIE, session_value, token_matches
from watcher.web.context import options, store
from watcher.web.params import BadFilter, event_query, filter_args, link, without_paging
from watcher.web.present import fact_rows, headline, local_time, mask, published_date, safe_url
from watcher.web.quota import KINDS, chart, quota_series

pages = Blueprint("pages", __name__)

API_MAX = 500
CSV_DEFAULT, CSV_MAX = 10_000, 100_000


@pages.app_context_processor
def _helpers() -> dict[str, Any]:
    zone = options().zone
    return {
        "headline": headline,
        "when": lambda stamp: local_time(stamp, zone),
        "published": published_date,
        "safe_url": safe_url,
        "mask": mask,
        "zone_name": str(zone),
        "site_title": options().title,
    }


def _query(limit: int, max_limit: int) -> EventQuery:
    try:
        return event_query(request.args, store().now(), limit=limit, max_limit=max_limit)
    except BadFilter as error:
        abort(make_response(render_error(str(error), 400)))


def _page(query: EventQuery) -> tuple[EventPage, str | None]:
    """The page of events, or an empty one and a message when the search is too broad."""
    try:
        return store().views.events(query), None
    except QueryTooBroad as error:
        return EventPage([], None), str(error)


def render_error(message: str, status: int) -> Response:
    if request.path.startswith(("/api/", "/feeds/")) or request.path.endswith(".csv"):
        response = make_response({"error": message}, status)
    else:
        response = make_response(render_template("error.html", message=message, status=status), status)
    return response


@pages.route("/")
def index() -> str:
    query = _query(options().page_size, 200)
    page, problem = _page(query)
    return _list("index.html", query, page, problem)


@pages.route("/events")
def events() -> str:
    query = _query(options().page_size, 200)
    page, problem = _page(query)
    return _list("events.html", query, page, problem)


def _list(template: str, query: EventQuery, page: EventPage, problem: str | None) -> str:
    pairs = filter_args(request.args)
    return render_template(
        template,
        rows=page.rows,
        problem=problem,
        choices=store().views.choices(),
        chosen={name: set(request.args.getlist(name)) for name in ("label", "severity", "source", "kind")},
        since=request.args.get("since", ""),
        q=request.args.get("q", ""),
        filtered=query.filtered(),
        next_link=link(request.path, pairs, before=page.next_before) if page.next_before else None,
        feed_link=link(flask_url_for("pages.atom_feed"), pairs),
        api_link=link(flask_url_for("pages.api_events"), pairs),
        csv_link=link(flask_url_for("pages.events_csv"), pairs),
    )


@pages.route("/events/<int:event_id>")
def event(event_id: int) -> str:
    story = store().views.story(event_id)
    if story is None:
        abort(make_response(render_error(f"no event {event_id} in this state", 404)))
    return render_template("event.html", event=story, facts=fact_rows(story.get("facts") or {}))


@pages.route("/quota")
def quota() -> str:
    figures = quota_series(store().views.quota_figures(), options().quota_history)
    return render_template("quota.html", figures=figures, chart=chart(figures), kinds=KINDS)


@pages.route("/sources")
def sources() -> str:
    rows = sorted(store().reports.source_rows().values(), key=lambda row: (-(row.get("failures") or 0), row["name"]))
    return render_template("sources.html", rows=rows)


@pages.route("/outbox")
def outbox() -> str:
    status = request.args.get("status") or None
    if status not in (None, "pending", "sending", "sent", "dead"):
        abort(make_response(render_error("status: one of pending, sending, sent, dead", 400)))
    outbox_store = store().outbox
    return render_template(
        "outbox.html",
        counts=outbox_store.outbox_counts(),
        rows=outbox_store.outbox_rows(status=status, limit=200),
        status=status,
        last=outbox_store.last_delivery(),
    )


@pages.route("/api/events")
def api_events() -> Response:
    query = _query(options().page_size, API_MAX)
    try:
        page = store().views.events(query)
    except QueryTooBroad as error:
        return make_response({"error": str(error)}, 400)
    pairs = filter_args(request.args)
    next_link = None
    if page.next_before:
        here = flask_url_for("pages.api_events", _external=True)
        next_link = link(here, pairs, limit=query.limit, before=page.next_before)
    return make_response(
        {
            "events": [feeds.public_event(row, _event_url(row["id"])) for row in page.rows],
            "next": next_link,
        }
    )


@pages.route("/feeds/events.atom")
def atom_feed() -> Response:
    query = _query(options().page_size, API_MAX)
    try:
        page = store().views.events(query)
    except QueryTooBroad as error:
        return make_response({"error": str(error)}, 400)
    body = feeds.atom(
        page.rows,
        feed_url=request.url,
        site_url=link(flask_url_for("pages.events", _external=True), filter_args(request.args)),
        event_url=_event_url,
        title=f"{options().title}: events" + (" (filtered)" if query.filtered() else ""),
    )
    return Response(body, mimetype="application/atom+xml")


@pages.route("/events.csv")
def events_csv() -> Response:
    query = _query(CSV_DEFAULT, CSV_MAX)
    views = store().views
    try:
        views.events(without_paging(query, 1))  # a too broad search is refused before the download starts
    except QueryTooBroad as error:
        return make_response({"error": str(error)}, 400)

    def pages_of_rows():
        remaining, before = query.limit, query.before
        while remaining > 0:
            page = views.events(replace(query, before=before, limit=min(remaining, 1000)))
            yield page.rows
            remaining -= len(page.rows)
            if page.next_before is None:
                return
            before = page.next_before

    response = Response(stream_with_context(feeds.csv_lines(pages_of_rows())), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="watcher-events.csv"'
    return response


@pages.route("/login", methods=["GET", "POST"])
def login() -> Any:
    token = options().token
    target = _local_path(request.values.get("next", "/"))
    if token is None:
        return redirect(target)
    wrong = False
    if request.method == "POST":
        if token_matches(token, request.form.get("token", "")):
            response = redirect(target)
            response.set_cookie(
                COOKIE, session_value(token), httponly=True, samesite="Strict", secure=request.is_secure, path="/"
            )
            return response
        wrong = True
    return make_response(render_template("login.html", next=target, wrong=wrong), 401 if wrong else 200)


def _local_path(target: str) -> str:
    """Only a path on this site: `next=//evil.example` or `next=https://…` goes home instead."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _event_url(event_id: int) -> str:
    return flask_url_for("pages.event", event_id=event_id, _external=True)


@pages.app_errorhandler(404)
def _not_found(error: Exception) -> Response:
    return render_error("no such page", 404)
