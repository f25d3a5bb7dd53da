-- wait_18wk_pct (v1): % of finished_treatment whose wait to first treatment
-- is <= 126 days (18 weeks; national standard 95%).
-- Wait = date(first treatment) - date(referral received), local dates.
WITH cohort AS (
    SELECT *
    FROM cohort_finished_treatment
)

SELECT
    {{group}} AS grp,
    count(*) FILTER (WHERE wait_days <= 126) AS num,
    count(*) AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
