-- funnel (v1): peer-coaching referrals received in the period, and how far
-- each got: referred → agreed → allocated → >= 1 attended visit → onward
-- plan (e.g. a personal health budget).
--
-- A stage counts as reached when its evidence or that of any later stage is
-- in the log (a referral allocated without a recorded `agreed` status did
-- agree), so the funnel never widens. Evidence: a referral.status_changed
-- of status agreed / allocated / onward_plan; an attended session of kind
-- peer_visit (the navigator's phone contact is not a visit). Stages are
-- taken whenever they happened up to the as-of instant, not only within the
-- period: the cohort is fixed by the received date.
WITH cohort AS (
    SELECT referral_id
    FROM referrals
    WHERE programme = 'peer_coaching'
        AND received_date BETWEEN $from::DATE AND $to::DATE
        AND ($service = '' OR service = $service)
),

statuses AS (
    SELECT
        referral_id,
        bool_or(status = 'agreed') AS agreed,
        bool_or(status = 'allocated') AS allocated,
        bool_or(status = 'onward_plan') AS onward_plan
    FROM events
    WHERE type = 'referral.status_changed'
    GROUP BY referral_id
),

visits AS (
    SELECT DISTINCT referral_id
    FROM sessions
    WHERE kind = 'peer_visit' AND attendance = 'attended'
),

reached AS (
    SELECT
        coalesce(st.onward_plan, FALSE) AS s5,
        coalesce(st.onward_plan, FALSE) OR v.referral_id IS NOT NULL AS s4,
        coalesce(st.onward_plan OR st.allocated, FALSE) OR v.referral_id IS NOT NULL AS s3,
        coalesce(st.onward_plan OR st.allocated OR st.agreed, FALSE) OR v.referral_id IS NOT NULL AS s2
    FROM cohort AS c
    LEFT JOIN statuses AS st USING (referral_id)
    LEFT JOIN visits AS v USING (referral_id)
)

SELECT
    count(*) AS referred,
    count(*) FILTER (WHERE s2) AS agreed,
    count(*) FILTER (WHERE s3) AS allocated,
    count(*) FILTER (WHERE s4) AS visited,
    count(*) FILTER (WHERE s5) AS onward_plan
FROM reached;
