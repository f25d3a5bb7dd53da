-- finished_paired (v2): count of finished_treatment with paired scores on both measures.
-- Cohort finished_paired: finished_treatment (ended in the period with >= 2
-- treatment sessions) with paired scores on PHQ-9 and the anxiety measure
-- (the problem's ADSM when its thresholds are configured and it is paired, else GAD-7: episodes.anxiety_measure). PHQ-9 caseness >= 10, reliable change
-- 6; GAD-7 caseness >= 8, reliable change 4 (measure_thresholds).
WITH cohort AS (
    SELECT *
    FROM cohort_finished_paired
)

SELECT
    {{group}} AS grp,
    count(*) AS num,
    NULL AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
