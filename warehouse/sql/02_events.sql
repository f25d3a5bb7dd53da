-- The event log as the warehouse sees it, in three steps:
--
--   lake_events     every row of every valid-event family (dead letters apart)
--   visible_events  recorded on or before the as-of instant, one row per
--                   event_id (an at-least-once replay may have written an
--                   event twice: the copy recorded first is kept, ties broken
--                   by the lake position, so the choice is deterministic)
--   events          visible_events without the corrections themselves, the
--                   targets of event.retracted, and every event of a person
--                   named by person.erased; with the local date of occurred_at
--
-- Timestamps are stored as UTC instants (Parquet isAdjustedToUTC) and read
-- as TIMESTAMP WITH TIME ZONE. local_date is what (occurred_at AT TIME ZONE
-- tz)::DATE gives, computed from the zone's transitions without ICU
-- (localdate.go: {{local_date}} is filled in by warehouse.Open).
-- A retraction is not itself retractable (retracting a retraction is a no-op).
CREATE OR REPLACE VIEW lake_rows AS
SELECT * FROM lake_rows_referrals
UNION ALL BY NAME SELECT * FROM lake_rows_sessions
UNION ALL BY NAME SELECT * FROM lake_rows_outcomes
UNION ALL BY NAME SELECT * FROM lake_rows_feedback
UNION ALL BY NAME SELECT * FROM lake_rows_crisis
UNION ALL BY NAME SELECT * FROM lake_rows_programme;

CREATE OR REPLACE VIEW lake_events AS
SELECT * EXCLUDE (lake_row)
FROM lake_rows;

-- The duplicate copies, found in two narrow passes instead of a window over
-- every row and column: the hashes of event_ids seen more than once (a
-- 64-bit hash per row keeps the aggregate small: a national year has tens
-- of millions of events), then, among the rows with those hashes only,
-- every copy of an event_id but the first (a hash collision between two
-- different event_ids costs a little work, not a wrong answer). When there
-- is no duplicate the second pass ends at once (its join has nothing to
-- match). The id is hashed with a prefix because DuckDB's string hash
-- collides often on 16-byte ids such as the demo's "cr-001196-ps-v03"
-- (2,082 colliding pairs in a 10M-event lake; none with the prefix).
-- The hashes are of the whole lake, not only what was recorded by the
-- as-of instant: the second pass applies the instant, and counts.sql
-- counts the lake's distinct ids from them. lake_event_ids is lake_rows'
-- event_id read in one scan of every file, not six (warehouse.go,
-- idsViewSQL): the aggregate takes about half the time.
CREATE OR REPLACE TABLE duplicate_event_hashes AS
SELECT hash('~' || event_id) AS h
FROM lake_event_ids
GROUP BY h
HAVING count(*) > 1;

CREATE OR REPLACE TABLE duplicate_copies AS
SELECT
    r.lake_file,
    r.lake_row
FROM lake_rows AS r
SEMI JOIN duplicate_event_hashes AS d ON hash('~' || r.event_id) = d.h
WHERE r.recorded_at <= {{as_of}}
QUALIFY row_number() OVER (
    PARTITION BY r.event_id
    ORDER BY r.recorded_at, r.lake_family, r.kafka_partition, r.kafka_offset, r.lake_file, r.lake_row
) > 1;

-- visible_events and events are views, not tables: a query reads only the
-- columns and families it needs from the lake (the Parquet scan gets the
-- type and date filters), which costs less than materialising every column
-- of every event once per Open.
CREATE OR REPLACE VIEW visible_events AS
SELECT v.* EXCLUDE (lake_row)
FROM lake_rows AS v
ANTI JOIN duplicate_copies AS d ON d.lake_row = v.lake_row AND d.lake_file = v.lake_file
WHERE v.recorded_at <= {{as_of}};

CREATE OR REPLACE TABLE corrections AS
SELECT *
FROM visible_events
WHERE type IN ('event.retracted', 'person.erased');

CREATE OR REPLACE VIEW events AS
SELECT
    v.*,
    {{local_date}} AS local_date
FROM visible_events AS v
WHERE v.type NOT IN ('event.retracted', 'person.erased')
    AND v.event_id NOT IN (
        SELECT c.target_event_id
        FROM corrections AS c
        WHERE c.type = 'event.retracted' AND c.target_event_id IS NOT NULL
    )
    AND coalesce(v.person NOT IN (
        SELECT c.person
        FROM corrections AS c
        WHERE c.type = 'person.erased' AND c.person IS NOT NULL
    ), TRUE);

-- dead_letters: input that failed validation, one row per origin and line.
-- A crash between producing a dead letter and committing its offset can
-- produce it again, so the lake may hold it twice; (origin, line) is its
-- identity (a file and line for ingest, topic/partition@offset for
-- transform's poison messages).
CREATE OR REPLACE VIEW dead_letters AS
SELECT * EXCLUDE (lake_family)
FROM raw_deadletter
QUALIFY row_number() OVER (
    PARTITION BY origin, line
    ORDER BY recorded_at, kafka_partition, kafka_offset, lake_file
) = 1;
