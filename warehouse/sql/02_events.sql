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
-- as TIMESTAMP WITH TIME ZONE; local dates are taken with AT TIME ZONE.
-- A retraction is not itself retractable (retracting a retraction is a no-op).
CREATE OR REPLACE VIEW lake_events AS
SELECT * FROM raw_referrals
UNION ALL BY NAME SELECT * FROM raw_sessions
UNION ALL BY NAME SELECT * FROM raw_outcomes
UNION ALL BY NAME SELECT * FROM raw_feedback
UNION ALL BY NAME SELECT * FROM raw_crisis
UNION ALL BY NAME SELECT * FROM raw_programme;

CREATE OR REPLACE VIEW visible_events AS
SELECT *
FROM lake_events
WHERE recorded_at <= {{as_of}}
QUALIFY row_number() OVER (
    PARTITION BY event_id
    ORDER BY recorded_at, lake_family, kafka_partition, kafka_offset, lake_file
) = 1;

CREATE OR REPLACE TABLE corrections AS
SELECT *
FROM visible_events
WHERE type IN ('event.retracted', 'person.erased');

CREATE OR REPLACE TABLE events AS
SELECT
    v.*,
    (v.occurred_at AT TIME ZONE '{{tz}}')::DATE AS local_date
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
