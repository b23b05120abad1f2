-- Cron schedules (issue 14): a job has either interval_ms (> 0, cron NULL) or a cron expression read in time_zone (IANA;
-- interval_ms 0). jitter_ms delays each slot by an offset derived from (product, tag, slot); catch_up_limit bounds how many
-- missed slots misfire catch_up runs (older ones are one skipped run of kind misfire). next_due_at includes the jitter.
ALTER TABLE jobs ADD COLUMN cron TEXT;
ALTER TABLE jobs ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE jobs ADD COLUMN jitter_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN catch_up_limit INTEGER NOT NULL DEFAULT 100;
