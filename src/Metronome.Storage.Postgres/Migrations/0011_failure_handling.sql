-- Failure handling (issue 14). Jobs: the on_failure hook, the automatic pause after N consecutive failures, the count, and
-- the instant a paused job resumes by itself (the leader resumes it).
ALTER TABLE jobs ADD COLUMN on_failure_type text;
ALTER TABLE jobs ADD COLUMN on_failure_tag text;
ALTER TABLE jobs ADD COLUMN pause_after_failures integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN paused_until bigint;
CREATE INDEX jobs_paused_until ON jobs(paused_until) WHERE paused_until IS NOT NULL;

-- A failed run's on_failure hook: 'pending' (set in the statement that finished the run: the outbox row of the hook is the
-- run itself), then 'succeeded' or 'failed' once the leader ran it, with its error and finish time.
ALTER TABLE runs ADD COLUMN on_failure_status text;
ALTER TABLE runs ADD COLUMN on_failure_error text;
ALTER TABLE runs ADD COLUMN on_failure_kind text;
ALTER TABLE runs ADD COLUMN on_failure_at bigint;
CREATE INDEX runs_on_failure_pending ON runs(id) WHERE on_failure_status = 'pending';

-- Changes the engine made to jobs (automatic pause, resume at until), written in the transaction that made them and deleted
-- once the leader has written them to the audit log.
CREATE TABLE job_notices (
    id bigserial PRIMARY KEY,
    product text NOT NULL,
    job_tag text NOT NULL,
    action text NOT NULL,
    reason text NOT NULL,
    at bigint NOT NULL
);
