-- wellbeing_scores: the baseline and follow-up wellbeing and quality-of-life
-- scores (wemwbs, swemwbs, eq5d5l, ascot_sct4, pam) of the referrals ended
-- in the period, for Go to score (EQ-5D index and SWEMWBS metric scores
-- come from the scales package) and pair per person and measure.
-- `peer` marks a talking-therapies referral of peer_referrals.sql (spliced
-- in below), for the peer-worker comparison.
SELECT
    s.person,
    s.referral_id,
    r.programme,
    s.measure,
    s.timepoint,
    CAST(to_json(s.items) AS VARCHAR) AS items,
    s.total,
    s.vas,
    s.level,
    s.occurred_at,
    s.event_id,
    s.referral_id IN ({{peer_referrals}}) AS peer
FROM scores AS s
INNER JOIN referrals AS r USING (referral_id)
WHERE s.measure IN ('wemwbs', 'swemwbs', 'eq5d5l', 'ascot_sct4', 'pam')
    AND s.timepoint IN ('baseline', 'follow_up')
    AND s.person IS NOT NULL
    AND r.ended_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR r.service = $service)
ORDER BY s.person, s.measure, s.occurred_at, s.event_id;
