-- raw_<family>: the lake's committed Parquet files of one family, as they are.
--
-- The file list is passed explicitly (from lake.Files, so a file being
-- written under its temporary name is never read) and always includes a
-- schema-only file of the family's current row type: the view has every
-- column even when the lake holds no file of the family yet, or only files
-- written before a column was added (union_by_name fills it with NULL).
-- {{family}} and {{files}} are filled in by warehouse.Open.
--
-- lake_rows_<family> is the same with lake_row, the row's position in its
-- file: (lake_file, lake_row) names one lake row, which is how 02_events.sql
-- drops the duplicate copies of an event without materialising the lake.
CREATE OR REPLACE VIEW lake_rows_{{family}} AS
SELECT
    * EXCLUDE ("date", filename, file_row_number),
    "date" AS lake_date,
    filename AS lake_file,
    '{{family}}' AS lake_family,
    file_row_number AS lake_row
FROM read_parquet(
    {{files}},
    hive_partitioning = TRUE,
    union_by_name = TRUE,
    filename = TRUE,
    file_row_number = TRUE
);

CREATE OR REPLACE VIEW raw_{{family}} AS
SELECT * EXCLUDE (lake_row)
FROM lake_rows_{{family}};
