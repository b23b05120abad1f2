-- The earlier attempts of a run (a JSON array, oldest first); NULL until a retry replaces the first attempt.
ALTER TABLE runs ADD COLUMN attempts jsonb;
