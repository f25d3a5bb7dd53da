-- referrals_received (v1): count of referral.received.
-- Cohort: talking-therapies referrals received (local date) in the period.
-- Every metric query returns (grp, num, den): {{group}} is 'all', a
-- breakdown dimension, or the month of cohort_date for a monthly series;
-- $from, $to are YYYY-MM-DD local dates (inclusive); $service '' means all.
WITH cohort AS (
    SELECT
        *,
        received_date AS cohort_date
    FROM episodes
    WHERE programme = 'talking_therapies'
)

SELECT
    {{group}} AS grp,
    count(*) AS num,
    NULL AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
