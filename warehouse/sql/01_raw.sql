-- raw_<family>: the lake's committed Parquet files of one family, as they are.
--
-- The file list is passed explicitly (from lake.Files, so a file being
-- written under its temporary name is never read) and always includes a
-- schema-only file of the family's current row type: the view has every
-- column even when the lake holds no file of the family yet, or only files
-- written before a column was added (union_by_name fills it with NULL).
-- {{family}} and {{files}} are filled in by warehouse.Open.
CREATE OR REPLACE VIEW raw_{{family}} AS
SELECT
    * EXCLUDE ("date", filename),
    "date" AS lake_date,
    filename AS lake_file,
    '{{family}}' AS lake_family
FROM read_parquet(
    {{files}},
    hive_partitioning = TRUE,
    union_by_name = TRUE,
    filename = TRUE
);
