-- The talking-therapies cohorts of METRICS.md that several metrics share,
-- defined once; the metric files select from them. cohort_date is the date
-- that places a referral in a period: its (local) ending.
-- finished_treatment: ended with at least 2 treatment sessions.
CREATE OR REPLACE VIEW cohort_finished_treatment AS
SELECT
    *,
    ended_date AS cohort_date
FROM episodes
WHERE programme = 'talking_therapies' AND finished;

-- finished_paired: finished_treatment with paired scores on PHQ-9 and the
-- anxiety measure.
CREATE OR REPLACE VIEW cohort_finished_paired AS
SELECT *
FROM cohort_finished_treatment
WHERE paired;
