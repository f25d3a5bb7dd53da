-- referral_source_share (v1): share of referrals received by referral_source.
-- Cohort: talking-therapies referrals received in the period. Reported as a
-- breakdown by referral_source; num = referrals from the source, den = all
-- referrals received in the cohort.
WITH cohort AS (
    SELECT
        *,
        received_date AS cohort_date
    FROM episodes
    WHERE programme = 'talking_therapies'
        AND received_date BETWEEN $from::DATE AND $to::DATE
        AND ($service = '' OR service = $service)
)

SELECT
    {{group}} AS grp,
    count(*) AS num,
    (SELECT count(*) FROM cohort) AS den
FROM cohort
GROUP BY ALL
ORDER BY grp;
