-- {{coding}}: the latest feedback.coded of each feedback_id (by occurred_at,
-- then recorded_at, then event_id): a recoding replaces the earlier one.
SELECT
    feedback_id,
    list_distinct(coalesce(codes, [])) AS codes
FROM events
WHERE type = 'feedback.coded' AND feedback_id IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY feedback_id ORDER BY occurred_at DESC, recorded_at DESC, event_id DESC
) = 1
