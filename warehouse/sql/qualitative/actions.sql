-- you_said_we_did (v1): the action.taken events on or before $to (an action
-- from an earlier period still answers a theme), each with the themes it
-- answers: its `codes`, or when it has none, the codes of the feedback it
-- names in `feedback_ids` (latest coding). An action re-recorded under the
-- same action_id is an update: the one recorded last wins.
WITH actions AS (
    SELECT
        action_id,
        summary,
        coalesce(codes, []) AS codes,
        coalesce(feedback_ids, []) AS feedback_ids,
        occurred_at,
        local_date
    FROM events
    WHERE type = 'action.taken' AND action_id IS NOT NULL
        AND ($service = '' OR service = $service)
    QUALIFY row_number() OVER (PARTITION BY action_id ORDER BY recorded_at DESC, event_id DESC) = 1
),

own AS (
    SELECT
        action_id,
        unnest(codes) AS code
    FROM actions
    WHERE len(codes) > 0
),

via_feedback AS (
    SELECT DISTINCT
        a.action_id,
        unnest(c.codes) AS code
    FROM (
        SELECT
            action_id,
            unnest(feedback_ids) AS feedback_id
        FROM actions
        WHERE len(codes) = 0
    ) AS a
    INNER JOIN ({{coding}}) AS c USING (feedback_id)
)

SELECT DISTINCT
    t.code,
    a.action_id,
    coalesce(a.summary, '') AS summary,
    a.occurred_at
FROM actions AS a
INNER JOIN (SELECT * FROM own UNION ALL SELECT * FROM via_feedback) AS t USING (action_id)
WHERE a.local_date <= $to::DATE
ORDER BY t.code, a.occurred_at, a.action_id;
