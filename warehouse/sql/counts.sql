-- Counts for end-to-end reconciliation. Invariant:
--   visible = events + corrections + retracted + erased
-- and lake_rows - distinct_event_ids = the duplicate deliveries in the lake.
SELECT
    (SELECT count(*) FROM lake_events) AS lake_rows,
    (SELECT count(DISTINCT event_id) FROM lake_events) AS distinct_event_ids,
    (SELECT count(*) FROM visible_events) AS visible,
    (SELECT count(*) FROM events) AS events,
    (SELECT count(*) FROM corrections) AS corrections,
    (
        SELECT count(*)
        FROM visible_events AS v
        WHERE v.type NOT IN ('event.retracted', 'person.erased')
            AND v.event_id IN (
                SELECT c.target_event_id FROM corrections AS c WHERE c.type = 'event.retracted'
            )
    ) AS retracted,
    (
        SELECT count(*)
        FROM visible_events AS v
        WHERE v.type NOT IN ('event.retracted', 'person.erased')
            AND v.event_id NOT IN (
                SELECT c.target_event_id
                FROM corrections AS c
                WHERE c.type = 'event.retracted' AND c.target_event_id IS NOT NULL
            )
            AND v.person IN (SELECT c.person FROM corrections AS c WHERE c.type = 'person.erased')
    ) AS erased,
    (SELECT count(*) FROM dead_letters) AS dead_letters;
