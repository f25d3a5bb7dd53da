-- pack_episodes (consultation pack): the clinician's finished_treatment
-- episodes in the period, most recently ended first, for the pack's
-- record-level table and its breakdowns (pack_totals.sql has the sums
-- beside the service's).
SELECT
    referral_id,
    coalesce(person, '') AS person,
    ended_date,
    treatment_sessions,
    coalesce(problem, '') AS problem,
    coalesce(gp_practice, 'unknown') AS gp_practice,
    coalesce(complexity, 'unknown') AS complexity,
    paired AND NOT not_at_caseness AS in_recovery_cohort,
    recovered,
    anxiety_measure,
    phq9_first,
    phq9_last,
    anx_first,
    anx_last
FROM cohort_finished_treatment
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
    AND worker_id = $worker
ORDER BY ended_date DESC, referral_id;
