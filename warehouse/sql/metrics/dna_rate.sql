-- dna_rate (v1): dna ÷ (attended + dna), over the talking-therapies sessions
-- (any kind) dated in the period.
WITH cohort AS (
    SELECT
        *,
        session_date AS cohort_date
    FROM session_facts
    WHERE programme = 'talking_therapies'
)

SELECT
    {{group}} AS grp,
    count(*) FILTER (WHERE attendance = 'dna') AS num,
    count(*) FILTER (WHERE attendance IN ('attended', 'dna')) AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
