-- mean_treatment_sessions (v1): mean treatment sessions of finished_treatment.
-- num = total treatment sessions, den = referrals; value = num ÷ den.
WITH cohort AS (
    SELECT *
    FROM cohort_finished_treatment
)

SELECT
    {{group}} AS grp,
    sum(treatment_sessions) AS num,
    count(*) AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
