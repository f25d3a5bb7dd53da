-- experience_good_pct (v1): feedback received in [$from, $to] with an
-- experience rating, by respondent: num = good or excellent, den = rated.
SELECT
    coalesce(respondent, 'unknown') AS respondent,
    count(*) FILTER (WHERE experience IN ('good', 'excellent')) AS num,
    count(*) AS den
FROM ({{feedback}}) AS f
WHERE experience IS NOT NULL
    AND received_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY ALL;
