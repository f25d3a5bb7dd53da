-- adsm_use_rate (v1): share of finished_paired referrals whose problem has an
-- anxiety-disorder-specific measure (ADSM) that have paired scores on it.
-- ADSM by problem: scales.ADSMFor (Clark et al. 2018 Table 2; PTSD → PCL-5,
-- or the IES-R of older guidance), as episodes.adsm_measure; adsm_paired is
-- paired scores on it whether or not its thresholds are configured.
-- Cohort finished_paired: finished_treatment (ended in the period with >= 2
-- treatment sessions) with paired scores on PHQ-9 and the anxiety measure
-- used (episodes.anxiety_measure).
WITH cohort AS (
    SELECT *
    FROM cohort_finished_paired
    WHERE adsm_measure IS NOT NULL
)

SELECT
    {{group}} AS grp,
    count(*) FILTER (WHERE adsm_paired) AS num,
    count(*) AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
