-- reliable_deterioration_rate (v2): reliably deteriorated on at least one measure and reliably improved on neither, ÷ finished_paired.
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
    count(*) FILTER (WHERE reliable_deterioration) AS num,
    count(*) AS den
FROM cohort
WHERE cohort_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY grp;
