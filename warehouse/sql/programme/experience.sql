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

feedback AS (
    SELECT
        experience,
        referral_id,
        person
    FROM events
    WHERE type = 'feedback.received'
        AND experience IS NOT NULL
        AND local_date BETWEEN $from::DATE AND $to::DATE
),

-- Two inner joins, each on one key, rather than one row with two LEFT
-- JOINs whose second had `f.referral_id IS NULL AND` in its condition:
-- DuckDB planned that one as a nested loop (14.7 s at 10M events, 145 s
-- at 40M). Feedback that links to no referral is dropped either way.
linked AS (
    SELECT
        f.experience,
        r.peer
    FROM feedback AS f
    INNER JOIN tt AS r ON r.referral_id = f.referral_id
    UNION ALL
    SELECT
        f.experience,
        p.peer
    FROM feedback AS f
    INNER JOIN by_person AS p ON p.person = f.person
    WHERE f.referral_id IS NULL
)

SELECT
    peer,
    count(*) FILTER (WHERE experience IN ('good', 'excellent')) AS num,
    count(*) AS den
FROM linked
WHERE peer IS NOT NULL
GROUP BY peer;
