-- Metronome SQLite schema, version 1.
-- Instants are INTEGER unix milliseconds (UTC); enums are the lower-case wire words.
-- Catalogue tables cascade from products; jobs and runs do not: jobs are deleted explicitly (the store
-- returns their ids to the engine) and runs outlive their job as history until pruned.

CREATE TABLE products (
    tag         TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE product_keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    product    TEXT    NOT NULL REFERENCES products(tag) ON DELETE CASCADE,
    key_hash   TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE INDEX product_keys_by_product ON product_keys(product);

CREATE TABLE secrets (
    product TEXT NOT NULL REFERENCES products(tag) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (product, name)
);

CREATE TABLE events (
    product    TEXT    NOT NULL REFERENCES products(tag) ON DELETE CASCADE,
    type       TEXT    NOT NULL,
    tag        TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    definition TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (product, type, tag)
);

-- AUTOINCREMENT: a deleted job's id is never reused, so a late completion of one of its runs
-- can never touch a newer job.
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    product         TEXT    NOT NULL,
    tag             TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    event_tag       TEXT    NOT NULL,
    executions      INTEGER NOT NULL,
    interval_ms     INTEGER NOT NULL,
    start_at        INTEGER,
    end_at          INTEGER,
    input           TEXT    NOT NULL,
    overlap         TEXT    NOT NULL CHECK (overlap IN ('skip', 'queue', 'allow')),
    misfire         TEXT    NOT NULL CHECK (misfire IN ('fire_once', 'skip', 'catch_up')),
    max_attempts    INTEGER NOT NULL,
    backoff_ms      INTEGER NOT NULL,
    max_backoff_ms  INTEGER NOT NULL,
    timeout_ms      INTEGER NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'completed')),
    executions_done INTEGER NOT NULL,
    next_slot       INTEGER NOT NULL,
    next_due_at     INTEGER NOT NULL,
    in_flight       INTEGER NOT NULL,
    last_run_at     INTEGER,
    last_run_status TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (product, tag)
);
CREATE INDEX jobs_by_event ON jobs(product, event_type, event_tag);
CREATE INDEX jobs_active ON jobs(next_due_at) WHERE status = 'active';

CREATE TABLE runs (
    id            TEXT    NOT NULL PRIMARY KEY,
    job_id        INTEGER NOT NULL,
    product       TEXT    NOT NULL,
    job_tag       TEXT    NOT NULL,
    slot          INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    max_attempts  INTEGER NOT NULL,
    scheduled_at  INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    node          TEXT,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'timed_out', 'skipped', 'abandoned')),
    error_message TEXT,
    error_kind    TEXT,
    output        TEXT,
    retry_at      INTEGER
);
-- The database itself guarantees one run per grid slot (triggers use slot 0 and are not constrained).
CREATE UNIQUE INDEX runs_one_per_slot ON runs(job_id, slot) WHERE slot > 0;
CREATE INDEX runs_by_job ON runs(product, job_tag, id DESC);
CREATE INDEX runs_running ON runs(node) WHERE status = 'running';
CREATE INDEX runs_finished ON runs(finished_at) WHERE status <> 'running';
