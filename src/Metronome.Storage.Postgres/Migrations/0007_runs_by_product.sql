-- Runs of a product newest first (the dashboard's failures view) and by claim time (run ids begin with the claim's
-- millisecond: the overview's aggregation reads a product's runs from a given id on). product and id never change, so
-- claims and completions stay HOT updates (0001_initial.sql); the index costs an insert one entry.
CREATE INDEX runs_by_product ON runs(product, id);
