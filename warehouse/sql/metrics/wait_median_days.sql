-- wait_median_days (v1): median wait to first treatment, in days, of
-- entered_treatment (first treatment session in the period). The median of
-- an even count is the mean of the two middle waits. num = median, den = n.
WITH cohort AS (
    SELECT
        *,
        first_treatment_date AS cohort_date
    FROM episodes
    WHERE programme = 'talking_therapies' AND first_treatment_date IS NOT NULL
)

SELECT
    {{group}} AS grp,
    median(wait_days) AS num,
    count(*) AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
