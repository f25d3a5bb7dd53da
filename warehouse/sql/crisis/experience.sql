-- crisis_experience_good_pct (v1): crisis contacts dated in the period with
-- an `experience`; num = good or excellent, den = rated.
SELECT
    count(*) FILTER (WHERE experience IN ('good', 'excellent')) AS num,
    count(*) AS den
FROM events
WHERE type = 'crisis.contact'
    AND experience IS NOT NULL
    AND local_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service);
