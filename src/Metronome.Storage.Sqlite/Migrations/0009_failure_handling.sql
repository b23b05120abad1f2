-- Failure handling (issue 14). Jobs: the on_failure hook, the automatic pause after N consecutive failures, the count, and
-- the instant a paused job resumes by itself.
ALTER TABLE jobs ADD COLUMN on_failure_type TEXT;
ALTER TABLE jobs ADD COLUMN on_failure_tag TEXT;
ALTER TABLE jobs ADD COLUMN pause_after_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN paused_until INTEGER;
CREATE INDEX jobs_paused_until ON jobs(paused_until) WHERE paused_until IS NOT NULL;

-- A failed run's on_failure hook: 'pending' (set in the transaction that finished the run: the outbox row of the hook is the
-- run itself), then 'succeeded' or 'failed' once the engine ran it, with its error and finish time.
ALTER TABLE runs ADD COLUMN on_failure_status TEXT;
ALTER TABLE runs ADD COLUMN on_failure_error TEXT;
ALTER TABLE runs ADD COLUMN on_failure_kind TEXT;
ALTER TABLE runs ADD COLUMN on_failure_at INTEGER;
CREATE INDEX runs_on_failure_pending ON runs(id) WHERE on_failure_status = 'pending';

-- Changes the engine made to jobs (automatic pause, resume at until), written in the transaction that made them and
-- deleted once the leader has written them to the audit log.
CREATE TABLE job_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product TEXT NOT NULL,
    job_tag TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
