-- follow_up_offered_pct (v1): % of finished_treatment with
-- follow_up_offered; an ending that does not say counts as not offered.
WITH cohort AS (
    SELECT *
    FROM cohort_finished_treatment
)

SELECT
    {{group}} AS grp,
    count(*) FILTER (WHERE follow_up_offered) AS num,
    count(*) AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
