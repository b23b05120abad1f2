-- When a secret was last set, for the secrets list (names and dates only, never values). NULL for secrets set before.
ALTER TABLE secrets ADD COLUMN updated_at bigint;
