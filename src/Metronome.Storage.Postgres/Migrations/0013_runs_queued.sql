-- Backfill's queued runs (status 'running' with no node yet) are looked for by every node once a second
-- (ClaimBackfillRunsAsync). Without this index each look was a sequential scan of the whole runs table, which under load
-- cost a quarter of a node's fire rate; with it an empty queue is one index probe.
CREATE INDEX runs_queued ON runs(job_id, slot) WHERE status = 'running' AND node IS NULL;
-- (runs_running excludes them: its predicate is node IS NOT NULL. SQLite's runs_running has no such predicate and serves
-- the probe already.)
