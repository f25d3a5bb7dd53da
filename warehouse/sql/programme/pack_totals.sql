-- pack_totals (consultation pack): what the pack's means and rates need,
-- summed for the clinician's cases (own) and the rest of the service's: of
-- the service's finished_treatment episodes in the period, the recovery
-- cohort's recovered and not recovered with their treatment and attended
-- review sessions, and for the rate of use of the problem-specific anxiety
-- measure, those whose problem has one (adsm_problems) and those of them
-- with any score on it. The service's figures are the sum over own; at
-- most eight rows.
--
-- Sums, not a row per episode, and the reviews and measures of these
-- episodes only, as flags: a query of every referral's measures
-- (list(DISTINCT measure) over all scores) returning every episode of the
-- service ran out of the 512MB memory_limit in `evalpipe run` on a
-- national year, as list states do not spill.
WITH cases AS (
    SELECT *
    FROM cohort_finished_treatment
    WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
        AND ($service = '' OR service = $service)
),

reviews AS (
    SELECT
        s.referral_id,
        count(*) AS reviews
    FROM sessions AS s
    SEMI JOIN cases AS c USING (referral_id)
    WHERE s.kind = 'review' AND s.attendance = 'attended'
    GROUP BY s.referral_id
),

adsm_scored AS (
    SELECT DISTINCT s.referral_id
    FROM scores AS s
    INNER JOIN cases AS c USING (referral_id)
    INNER JOIN adsm_problems AS ap ON ap.problem = c.problem AND ap.measure = s.measure
),

pack_cases AS (
    SELECT
        e.worker_id = $worker AS own,
        e.paired AND NOT e.not_at_caseness AS in_recovery_cohort,
        e.recovered,
        e.treatment_sessions,
        coalesce(r.reviews, 0) AS reviews,
        e.problem IN (SELECT ap.problem FROM adsm_problems AS ap) AS adsm_applies,
        a.referral_id IS NOT NULL AS adsm_scored
    FROM cases AS e
    LEFT JOIN reviews AS r USING (referral_id)
    LEFT JOIN adsm_scored AS a USING (referral_id)
)

SELECT
    coalesce(own, FALSE) AS own,
    in_recovery_cohort,
    recovered,
    count(*) AS cases,
    sum(treatment_sessions) AS treatment_sessions,
    sum(reviews) AS reviews,
    count(*) FILTER (WHERE adsm_applies) AS adsm_applies,
    count(*) FILTER (WHERE adsm_applies AND adsm_scored) AS adsm_scored
FROM pack_cases
GROUP BY ALL;
