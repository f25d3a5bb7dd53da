-- Counts for end-to-end reconciliation, one statement per Counts field in
-- its order (Warehouse.Counts runs them one after another: as one
-- statement of eight subqueries, a national year of 40M events peaked at
-- 1.19 GiB resident, against 0.52 GiB for the largest alone). Invariant:
--   visible = events + corrections + retracted + erased
-- and lake_rows - distinct_event_ids = the duplicate deliveries in the lake.

SELECT count(*) AS lake_rows FROM lake_events;

-- Not count(DISTINCT event_id): at 40M events that aggregate of strings
-- ran out of the default 512MB memory_limit. Only the rows whose id hash
-- is in duplicate_event_hashes (every hash seen twice in the lake, whatever
-- the as-of instant) can repeat an id, so the ids are counted exactly among
-- those few rows.
SELECT (SELECT count(*) FROM lake_events) - (
    SELECT count(*) - count(DISTINCT r.event_id)
    FROM lake_rows AS r
    SEMI JOIN duplicate_event_hashes AS d ON hash('~' || r.event_id) = d.h
) AS distinct_event_ids;

SELECT count(*) AS visible FROM visible_events;

SELECT count(*) AS events FROM events;

SELECT count(*) AS corrections FROM corrections;

SELECT count(*) AS retracted
FROM visible_events AS v
WHERE v.type NOT IN ('event.retracted', 'person.erased')
    AND v.event_id IN (
        SELECT c.target_event_id FROM corrections AS c WHERE c.type = 'event.retracted'
    );

SELECT count(*) AS erased
FROM visible_events AS v
WHERE v.type NOT IN ('event.retracted', 'person.erased')
    AND v.event_id NOT IN (
        SELECT c.target_event_id
        FROM corrections AS c
        WHERE c.type = 'event.retracted' AND c.target_event_id IS NOT NULL
    )
    AND v.person IN (SELECT c.person FROM corrections AS c WHERE c.type = 'person.erased');

SELECT count(*) AS dead_letters FROM dead_letters;
