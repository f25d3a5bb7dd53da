-- feedback_response_rate (v1): referrals ended in [$from, $to] as
-- completers (reason completed) or non-completers (dropped_out); num =
-- those with at least one feedback.received carrying their referral_id,
-- whenever it arrived (surveys follow the ending by days or weeks).
WITH ended AS (
    SELECT
        referral_id,
        CASE end_reason WHEN 'completed' THEN 'completers' ELSE 'non_completers' END AS grp
    FROM referrals
    WHERE end_reason IN ('completed', 'dropped_out')
        AND ended_date BETWEEN $from::DATE AND $to::DATE
        AND ($service = '' OR service = $service)
),

responded AS (
    SELECT DISTINCT referral_id
    FROM ({{feedback}}) AS f
    WHERE referral_id IS NOT NULL
)

SELECT
    e.grp,
    count(r.referral_id) AS num,
    count(*) AS den
FROM ended AS e
LEFT JOIN responded AS r USING (referral_id)
GROUP BY e.grp
ORDER BY e.grp;
