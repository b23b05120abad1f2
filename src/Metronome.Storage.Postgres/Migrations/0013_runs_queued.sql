-- Backfill's queued runs (status 'running' with no node yet) are looked for by every node once a second
-- (ClaimBackfillRunsAsync). runs_running cannot answer that (its predicate is node IS NOT NULL), so each look was a
-- sequential scan of the whole runs table, which under load cost a quarter of a node's fire rate; with this index an
-- empty queue is one index probe. (SQLite's runs_running has no node predicate and serves the probe already.)
CREATE INDEX runs_queued ON runs(job_id, slot) WHERE status = 'running' AND node IS NULL;
