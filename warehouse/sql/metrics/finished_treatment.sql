-- finished_treatment (v1): referrals ended in the period with >= 2 treatment
-- sessions (NHS definition, "finished a course of treatment").
WITH cohort AS (
    SELECT *
    FROM cohort_finished_treatment
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
