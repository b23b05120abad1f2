-- Metronome PostgreSQL schema, version 1. Created in the first schema of the connection's search_path.
-- Instants are bigint unix milliseconds (UTC), as in the SQLite store: both stores then round identically (the conformance
-- suite compares them), and batch writes bind plain bigint arrays. The database's clock is metronome_now_ms().
-- Enums are the lower-case wire words. Catalogue tables cascade from products; jobs and runs do not: jobs are deleted
-- explicitly (the store returns their ids to the engine) and runs outlive their job as history until pruned.

CREATE FUNCTION metronome_now_ms() RETURNS bigint
    LANGUAGE sql VOLATILE
    AS $$ SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

CREATE TABLE products (
    tag         text   NOT NULL PRIMARY KEY,
    name        text   NOT NULL,
    description text,
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL
);

CREATE TABLE product_keys (
    id         text   NOT NULL PRIMARY KEY,
    product    text   NOT NULL REFERENCES products(tag) ON DELETE CASCADE,
    key_hash   text   NOT NULL UNIQUE,
    created_at bigint NOT NULL
);
CREATE INDEX product_keys_by_product ON product_keys(product);

CREATE TABLE secrets (
    product text NOT NULL REFERENCES products(tag) ON DELETE CASCADE,
    name    text NOT NULL,
    value   text NOT NULL,
    PRIMARY KEY (product, name)
);

CREATE TABLE events (
    product    text   NOT NULL REFERENCES products(tag) ON DELETE CASCADE,
    type       text   NOT NULL,
    tag        text   NOT NULL,
    name       text   NOT NULL,
    definition text   NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (product, type, tag)
);

-- An identity is never reused, so a late completion of a deleted job's run can never touch a newer job.
CREATE TABLE jobs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product         text    NOT NULL,
    tag             text    NOT NULL,
    name            text    NOT NULL,
    event_type      text    NOT NULL,
    event_tag       text    NOT NULL,
    executions      bigint  NOT NULL,
    interval_ms     bigint  NOT NULL,
    start_at        bigint,
    end_at          bigint,
    input           text    NOT NULL,
    overlap         text    NOT NULL CHECK (overlap IN ('skip', 'queue', 'allow')),
    misfire         text    NOT NULL CHECK (misfire IN ('fire_once', 'skip', 'catch_up')),
    max_attempts    integer NOT NULL,
    backoff_ms      bigint  NOT NULL,
    max_backoff_ms  bigint  NOT NULL,
    timeout_ms      integer NOT NULL,
    status          text    NOT NULL CHECK (status IN ('active', 'paused', 'completed')),
    executions_done bigint  NOT NULL,
    next_slot       bigint  NOT NULL,
    next_due_at     bigint  NOT NULL,
    in_flight       integer NOT NULL,
    last_run_at     bigint,
    last_run_status text,
    created_at      bigint  NOT NULL,
    updated_at      bigint  NOT NULL,
    UNIQUE (product, tag)
) WITH (fillfactor = 50);
-- Hot path: every fire updates its job twice (claim advances it, completion releases it). No index covers a column those
-- updates change (status, next_due_at, counters), so they are HOT updates (no index entry written), and the free half of each
-- page keeps the new row version on its page. Loading the schedule reads every active job anyway (a scan and a sort).
CREATE INDEX jobs_by_event ON jobs(product, event_type, event_tag);

CREATE TABLE runs (
    id            text    COLLATE "C" NOT NULL PRIMARY KEY, -- version-7 GUIDs: byte order is time order
    job_id        bigint  NOT NULL,
    product       text    NOT NULL,
    job_tag       text    NOT NULL,
    slot          bigint  NOT NULL,
    attempt       integer NOT NULL,
    max_attempts  integer NOT NULL,
    scheduled_at  bigint  NOT NULL,
    started_at    bigint,
    finished_at   bigint,
    node          text,
    status        text    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'timed_out', 'skipped', 'abandoned')),
    error_message text,
    error_kind    text,
    output        text,
    retry_at      bigint
);
-- The database itself guarantees one run per grid slot, whichever node claims it (triggers use slot 0 and are not constrained).
-- Job ids are never reused (identity), so (job_id, slot) is unique across products: a narrow key, written by every claim.
CREATE UNIQUE INDEX runs_one_per_slot ON runs(job_id, slot) WHERE slot > 0;
CREATE INDEX runs_by_job ON runs(product, job_tag, id DESC);
-- Runs still running, per node (recovery, dead-node detection). A completion leaves a dead entry here until VACUUM, and the
-- planner, which believes few runs are running, would pick this index for the completion's own `status = 'running'` check
-- and visit every dead entry; `node IS NOT NULL` keeps the index out of that statement (it probes the primary key), while the
-- node queries (`node = ANY(...)`, `node IS NOT NULL`) still use it.
CREATE INDEX runs_running ON runs(node) WHERE status = 'running' AND node IS NOT NULL;
-- No index on finished_at: pruning ranks every run per job (a full scan) anyway, and each index costs every claim and completion.

-- Cluster: liveness and the leader lease (instants by metronome_now_ms()).
CREATE TABLE nodes (
    name         text   NOT NULL PRIMARY KEY,
    started_at   bigint NOT NULL,
    heartbeat_at bigint NOT NULL
);

CREATE TABLE leases (
    name       text   NOT NULL PRIMARY KEY,
    holder     text   NOT NULL,
    expires_at bigint NOT NULL
);
