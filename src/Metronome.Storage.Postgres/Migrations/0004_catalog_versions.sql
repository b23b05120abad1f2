-- A per-product counter of catalogue changes (the product, its keys, secrets and events), bumped in the transaction of
-- every catalogue write, which also NOTIFYs 'k:<version>:<product>' on the schedule channel (docs/clustering.md). No
-- foreign key: the row outlives a deleted product, so a product re-created with the same tag keeps counting upwards.
CREATE TABLE catalog_versions (
    product text PRIMARY KEY,
    version bigint NOT NULL
);
