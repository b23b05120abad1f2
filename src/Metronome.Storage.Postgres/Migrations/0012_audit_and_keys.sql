-- The audit log (issue 14): one row per change made through the API, the SDK, the CLI or the engine, newest first by id.
-- Rows go with their product (DeleteProductAsync deletes them). changes is a JSON object field -> {old, new}; secret
-- values never appear in it.
CREATE TABLE audit_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product text   NOT NULL,
    at      bigint NOT NULL,
    actor   text   NOT NULL,
    action  text   NOT NULL,
    target  text   NOT NULL,
    changes text   NOT NULL,
    reason  text
);
CREATE INDEX audit_log_by_product ON audit_log(product, id DESC);

-- When a key was last used (written at most once a minute per key, off the request path). NULL: never used since.
ALTER TABLE product_keys ADD COLUMN last_used_at bigint;
