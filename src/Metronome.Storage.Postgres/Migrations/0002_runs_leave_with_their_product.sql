-- Runs belong to the product that recorded them, not to whichever product later takes the same tag.
-- From this version on, deleting a product deletes its runs in the same transaction (the store does it); this removes
-- the runs that earlier versions kept after their product was deleted, which a product re-created with the same tag
-- would otherwise have shown as its own history.
DELETE FROM runs WHERE product NOT IN (SELECT tag FROM products);
