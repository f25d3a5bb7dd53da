-- feedback_volume (v1): feedback received in [$from, $to] by respondent
-- and channel. No text is read.
SELECT
    coalesce(respondent, 'unknown') AS respondent,
    coalesce(channel, 'unknown') AS channel,
    count(*) AS n
FROM ({{feedback}}) AS f
WHERE received_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY ALL;
