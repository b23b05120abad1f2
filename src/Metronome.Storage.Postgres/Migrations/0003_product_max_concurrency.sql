-- A product's cap of attempts executing at once on one node (docs/security/fairness.md); NULL = the server's default.
ALTER TABLE products ADD COLUMN max_concurrency integer CHECK (max_concurrency BETWEEN 1 AND 10000);
