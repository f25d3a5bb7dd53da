-- crisis_contacts (v1): crisis.contact by kind per local month, for the
-- contacts dated in [$from, $to] of the service ($service = '' for all).
-- Also the monthly A&E and admission series (crisis_ae_attendances,
-- crisis_acute_admissions), run over their own range.
SELECT
    strftime(local_date, '%Y-%m') AS month,
    coalesce(kind, 'other') AS kind,
    count(*) AS n
FROM events
WHERE type = 'crisis.contact'
    AND local_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY month, kind;
