-- first_contact_3wk_pct (v1): % of peer-coaching referrals received in the
-- period with a first `contacted` status, or an attended session, <= 21 days
-- after referral.
WITH first_session AS (
    SELECT
        referral_id,
        min(session_date) AS first_session_date
    FROM sessions
    WHERE attendance = 'attended'
    GROUP BY referral_id
),

cohort AS (
    SELECT
        e.*,
        e.received_date AS cohort_date,
        least(e.first_contacted_date, f.first_session_date) - e.received_date AS contact_days
    FROM episodes AS e
    LEFT JOIN first_session AS f USING (referral_id)
    WHERE e.programme = 'peer_coaching'
)

SELECT
    {{group}} AS grp,
    count(*) FILTER (WHERE contact_days <= 21) AS num,
    count(*) AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
