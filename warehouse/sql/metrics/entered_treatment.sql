-- entered_treatment (v1): count of referrals whose first treatment session
-- (attended treatment or group session) is in the period.
WITH cohort AS (
    SELECT
        *,
        first_treatment_date AS cohort_date
    FROM episodes
    WHERE programme = 'talking_therapies' AND first_treatment_date IS NOT NULL
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
