-- {{feedback}}: one row per feedback_id, its feedback.received recorded
-- last (a re-recorded piece of feedback is an update: a consent withdrawn
-- later wins). consent_to_quote absent = FALSE (EVENTS.md default).
SELECT
    feedback_id,
    person,
    referral_id,
    service,
    respondent,
    channel,
    experience,
    text,
    coalesce(consent_to_quote, FALSE) AS consent_to_quote,
    local_date AS received_date
FROM events
WHERE type = 'feedback.received' AND feedback_id IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY feedback_id ORDER BY recorded_at DESC, event_id DESC) = 1
