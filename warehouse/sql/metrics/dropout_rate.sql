-- dropout_rate (v1): reason = dropped_out ÷ referrals ended in the period
-- with >= 1 treatment session.
WITH cohort AS (
    SELECT
        *,
        ended_date AS cohort_date
    FROM episodes
    WHERE programme = 'talking_therapies' AND ended_date IS NOT NULL AND treatment_sessions >= 1
)

SELECT
    {{group}} AS grp,
    count(*) FILTER (WHERE end_reason = 'dropped_out') AS num,
    count(*) AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
