"""The state schema, built and evolved through sqlite-utils Migrations.

Each migration runs in a transaction together with the record that it ran, so
a crash mid-upgrade leaves the database at the previous version.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("watcher")


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    for statement in _INITIAL.split(";\n"):
        if statement.strip():
            db.execute(statement)


_INITIAL = """
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    config_hash TEXT,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,
    baselined_at TEXT,
    last_check_at TEXT,
    last_status TEXT,
    last_error TEXT,
    last_http_status INTEGER,
    last_success_at TEXT,
    last_change_at TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    item_count INTEGER NOT NULL DEFAULT 0,
    broken_since TEXT,
    broken_alerted_at TEXT,
    next_run_at TEXT
);
CREATE TABLE items (
    source TEXT NOT NULL,
    item_id TEXT NOT NULL,
    title TEXT,
    url TEXT,
    published TEXT,
    text TEXT,
    hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    gone_at TEXT,
    PRIMARY KEY (source, item_id)
);
CREATE INDEX items_live ON items (source, gone_at);
CREATE TABLE checks (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER,
    bytes INTEGER NOT NULL DEFAULT 0,
    items INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX checks_source_time ON checks (source, started_at);
CREATE INDEX checks_time ON checks (started_at);
CREATE TABLE changes (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    item_id TEXT NOT NULL,
    change TEXT NOT NULL,
    title TEXT,
    url TEXT,
    published TEXT,
    text TEXT,
    diff TEXT,
    detected_at TEXT NOT NULL,
    event_id INTEGER
);
CREATE INDEX changes_time ON changes (detected_at);
CREATE INDEX changes_source_time ON changes (source, detected_at);
CREATE INDEX changes_event ON changes (event_id);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'change',
    source TEXT,
    label TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT,
    url TEXT,
    published TEXT,
    first_seen TEXT NOT NULL,
    matched TEXT NOT NULL DEFAULT '[]',
    facts TEXT NOT NULL DEFAULT '{}',
    routed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_time ON events (first_seen);
CREATE INDEX events_label_time ON events (label, first_seen);
CREATE TABLE event_sources (
    event_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    title TEXT,
    url TEXT,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (event_id, source, url)
);
CREATE TABLE event_keys (
    key TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (key, event_id)
);
CREATE INDEX event_keys_time ON event_keys (seen_at);
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    tag TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'immediate',
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    digest_id INTEGER,
    UNIQUE (event_id, tag)
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_sent ON deliveries (status, sent_at);
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX attempts_delivery ON attempts (delivery_id);
CREATE TABLE digests (
    tag TEXT PRIMARY KEY,
    last_sent_at TEXT
)
"""


@migrations(name="0002_delivery_claims")
def delivery_claims(db: Database) -> None:
    """A delivery being sent is claimed (so two senders never send it twice), and remembers which
    of its tag's targets already accepted it (so a retry never repeats a message to a working channel)."""
    db.execute("ALTER TABLE deliveries ADD COLUMN claimed_at TEXT")
    db.execute("ALTER TABLE deliveries ADD COLUMN done_targets TEXT NOT NULL DEFAULT '[]'")
    db.execute("CREATE INDEX events_health ON events (kind, first_seen)")


@migrations(name="0003_claim_owner")
def claim_owner(db: Database) -> None:
    """Who claimed a delivery ("pid:token"): a claim whose process died is released at once."""
    db.execute("ALTER TABLE deliveries ADD COLUMN claimed_by INTEGER")


@migrations(name="0004_quota_year_index")
def quota_year_index(db: Database) -> None:
    """Quota deltas look up earlier quota figures by year; without this index that is a scan of every event."""
    db.execute("CREATE INDEX events_quota_year ON events (json_extract(facts, '$.year')) WHERE label = 'quota'")


@migrations(name="0005_unrouted_index")
def unrouted_index(db: Database) -> None:
    """`watcher status` counts unrouted events on every call; a partial index keeps that off the events table."""
    db.execute("CREATE INDEX events_unrouted ON events (label) WHERE kind = 'change' AND routed = 0")


@migrations(name="0006_checks_filtered")
def checks_filtered(db: Database) -> None:
    """How many items a source's `match` left out at each check: dropped items are counted, never silently lost."""
    db.execute("ALTER TABLE checks ADD COLUMN filtered INTEGER NOT NULL DEFAULT 0")


@migrations(name="0007_story_state")
def story_state(db: Database) -> None:
    """What a merge decision needs: whether an event was seen at an official source, which item and text each
    sighting had (successive edits of a watched page are separate events), the upgrades a later sighting
    brought, and deliveries keyed by (event, tag, update) so an upgrade can reach a tag the event already reached.

    Events recorded before this migration count as not official and their sightings as of unknown text: a
    later official or different sighting is then an upgrade or an event of its own, never swallowed.
    """
    db.execute("ALTER TABLE events ADD COLUMN official INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE event_sources ADD COLUMN item_id TEXT")
    db.execute("ALTER TABLE event_sources ADD COLUMN text_hash TEXT")
    db.execute("ALTER TABLE event_sources ADD COLUMN page INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "CREATE TABLE event_updates (id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, source TEXT NOT NULL, "
        "title TEXT, url TEXT, label TEXT NOT NULL, severity TEXT NOT NULL, official INTEGER NOT NULL DEFAULT 0, "
        "was_label TEXT NOT NULL, was_severity TEXT NOT NULL, reasons TEXT NOT NULL DEFAULT '[]', "
        "seen_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX event_updates_event ON event_updates (event_id)")
    columns = (
        "id, event_id, tag, mode, status, attempts, next_attempt_at, last_error, created_at, sent_at, digest_id, "
        "claimed_at, done_targets, claimed_by"
    )
    db.execute(
        "CREATE TABLE deliveries_new (id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, tag TEXT NOT NULL, "
        "mode TEXT NOT NULL DEFAULT 'immediate', status TEXT NOT NULL DEFAULT 'pending', "
        "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, last_error TEXT, "
        "created_at TEXT NOT NULL, sent_at TEXT, digest_id INTEGER, claimed_at TEXT, "
        "done_targets TEXT NOT NULL DEFAULT '[]', "
        "claimed_by INTEGER, update_id INTEGER NOT NULL DEFAULT 0, UNIQUE (event_id, tag, update_id))"
    )
    db.execute(f"INSERT INTO deliveries_new ({columns}) SELECT {columns} FROM deliveries")
    db.execute("DROP TABLE deliveries")
    db.execute("ALTER TABLE deliveries_new RENAME TO deliveries")
    db.execute("CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)")
    db.execute("CREATE INDEX deliveries_sent ON deliveries (status, sent_at)")
    db.execute("CREATE INDEX deliveries_event ON deliveries (event_id)")


@migrations(name="0008_event_search")
def event_search(db: Database) -> None:
    """Full-text search over events (an FTS5 trigram index kept by triggers), and the indexes the web view's
    filters read newest first: by label, severity and source, each in id order."""
    from watcher.store.search import create_index

    create_index(db)
    db.execute("CREATE INDEX events_label_id ON events (label)")
    db.execute("CREATE INDEX events_severity_id ON events (severity)")
    db.execute("CREATE INDEX events_source_id ON events (source)")
    db.execute("CREATE INDEX event_sources_source ON event_sources (source, event_id)")


@migrations(name="0009_expectations")
def expectations(db: Database) -> None:
    """Where each `[[expect]]` entry stands: since when it is watched, and its open overdue alert if any."""
    db.execute(
        """CREATE TABLE expectations (
            name TEXT PRIMARY KEY,
            watching_since TEXT NOT NULL,
            period TEXT,
            due TEXT,
            overdue_since TEXT,
            alerted_at TEXT,
            alerts INTEGER NOT NULL DEFAULT 0,
            event_id INTEGER,
            severity TEXT,
            closed_at TEXT,
            closed_event_id INTEGER
        )"""
    )


@migrations(name="0010_story_headline")
def story_headline(db: Database) -> None:
    """The English headline of each event (the web view and messages read it), what each sighting reported
    (so a later report in another outlet or language can be compared with it), and the key facts and the
    English headline an upgrading report brought (for its short update).

    Events recorded before this migration have no headline (readers fall back to the title) and their
    sightings no story features: they are joined by shared keys only, as before.
    """
    db.execute("ALTER TABLE events ADD COLUMN headline TEXT")
    db.execute("ALTER TABLE event_sources ADD COLUMN story TEXT")
    db.execute("ALTER TABLE event_updates ADD COLUMN added TEXT NOT NULL DEFAULT '{}'")
    db.execute("ALTER TABLE event_updates ADD COLUMN headline TEXT")
