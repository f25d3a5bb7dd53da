-- peer_referrals: the talking-therapies referrals with at least one
-- treatment or group session (whatever its attendance: the referral was
-- offered peer co-delivered care) co-delivered by a peer worker
-- (co_delivered_by_peer) or delivered by one (worker_role peer_worker or
-- peer_coach). Spliced into the peer-worker impact queries as a subquery.
SELECT DISTINCT s.referral_id
FROM sessions AS s
INNER JOIN referrals AS r USING (referral_id)
WHERE r.programme = 'talking_therapies'
    AND s.kind IN ('treatment', 'group')
    AND (coalesce(s.co_delivered_by_peer, FALSE) OR s.worker_role IN ('peer_worker', 'peer_coach'))
