-- pack_episodes (consultation pack): the service's finished_treatment
-- episodes (talking therapies, ended in the period with >= 2 treatment
-- sessions) with what the pack shows of each: the recovery flags, attended
-- review sessions, and the measures recorded (for the rate of use of the
-- problem-specific anxiety measure). Go selects the clinician's.
WITH reviews AS (
    SELECT
        referral_id,
        count(*) AS reviews
    FROM sessions
    WHERE kind = 'review' AND attendance = 'attended'
    GROUP BY referral_id
),

measures AS (
    SELECT
        referral_id,
        list(DISTINCT measure ORDER BY measure) AS measures
    FROM scores
    GROUP BY referral_id
)

SELECT
    e.referral_id,
    coalesce(e.person, '') AS person,
    coalesce(e.worker_id, '') AS worker_id,
    e.ended_date,
    e.treatment_sessions,
    coalesce(e.problem, '') AS problem,
    coalesce(e.gp_practice, 'unknown') AS gp_practice,
    coalesce(e.complexity, 'unknown') AS complexity,
    e.paired AND NOT e.not_at_caseness AS in_recovery_cohort,
    e.recovered,
    e.anxiety_measure,
    e.phq9_first,
    e.phq9_last,
    e.anx_first,
    e.anx_last,
    coalesce(r.reviews, 0) AS reviews,
    CAST(to_json(coalesce(m.measures, [])) AS VARCHAR) AS measures
FROM episodes AS e
LEFT JOIN reviews AS r USING (referral_id)
LEFT JOIN measures AS m USING (referral_id)
WHERE e.programme = 'talking_therapies'
    AND e.finished
    AND e.ended_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR e.service = $service)
ORDER BY e.ended_date DESC, e.referral_id;
