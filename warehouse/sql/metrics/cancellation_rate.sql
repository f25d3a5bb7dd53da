-- cancellation_rate (v1): cancellations (by the patient or by the service)
-- ÷ all talking-therapies sessions (any kind, any attendance) dated in the period.
WITH cohort AS (
    SELECT
        *,
        session_date AS cohort_date
    FROM session_facts
    WHERE programme = 'talking_therapies'
)

SELECT
    {{group}} AS grp,
    count(*) FILTER (WHERE attendance IN ('cancelled_by_patient', 'cancelled_by_service')) AS num,
    count(*) AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
