-- experience (peer-worker impact): feedback.received with an `experience`,
-- dated in the period, linked to a talking-therapies referral of the
-- service: by its referral_id when the feedback names one, else by the
-- person's pseudonym (then the person counts as peer when any of their
-- talking-therapies referrals is in peer_referrals.sql). Feedback that links
-- to no referral is left out.
WITH tt AS (
    SELECT
        referral_id,
        person,
        referral_id IN ({{peer_referrals}}) AS peer
    FROM referrals
    WHERE programme = 'talking_therapies'
        AND ($service = '' OR service = $service)
),

by_person AS (
    SELECT
        person,
        bool_or(peer) AS peer
    FROM tt
    WHERE person IS NOT NULL
    GROUP BY person
),

linked AS (
    SELECT
        f.experience,
        CASE WHEN f.referral_id IS NOT NULL THEN r.peer ELSE p.peer END AS peer
    FROM events AS f
    LEFT JOIN tt AS r ON r.referral_id = f.referral_id
    LEFT JOIN by_person AS p ON f.referral_id IS NULL AND p.person = f.person
    WHERE f.type = 'feedback.received'
        AND f.experience IS NOT NULL
        AND f.local_date BETWEEN $from::DATE AND $to::DATE
)

SELECT
    peer,
    count(*) FILTER (WHERE experience IN ('good', 'excellent')) AS num,
    count(*) AS den
FROM linked
WHERE peer IS NOT NULL
GROUP BY peer;
