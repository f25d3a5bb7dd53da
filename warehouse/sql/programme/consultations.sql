-- consultations (consultation_audit): each clinician's first
-- consultation.held dated (local date) in the period.
SELECT
    worker_id,
    min(local_date) AS held_date
FROM events
WHERE type = 'consultation.held'
    AND worker_id IS NOT NULL
    AND local_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY worker_id
ORDER BY worker_id;
