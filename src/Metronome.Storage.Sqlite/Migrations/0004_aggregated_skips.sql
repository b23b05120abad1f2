-- Consecutive skipped slots of a job are one run (SPEC §3): skipped_count is how many slots a skipped run stands for
-- (its slot is the first of them; 0 for every other run). A job remembers its open skipped run and the slot after it,
-- so the next skipped slots extend that run instead of adding a row while nothing was recorded in between.
ALTER TABLE runs ADD COLUMN skipped_count INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET skipped_count = 1 WHERE status = 'skipped';
ALTER TABLE jobs ADD COLUMN skip_run_id TEXT;
ALTER TABLE jobs ADD COLUMN skip_run_next_slot INTEGER NOT NULL DEFAULT 0;
