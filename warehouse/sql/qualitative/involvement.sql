-- involvement_hours (v1): involvement.recorded dated in [$from, $to], by
-- calendar quarter of the local date (YYYY-Qn): activities, participants,
-- hours, and activities led by service users.
SELECT
    strftime(local_date, '%Y') || '-Q' || quarter(local_date) AS quarter,
    coalesce(activity, 'other') AS activity,
    count(*) AS activities,
    coalesce(sum(participants), 0) AS participants,
    coalesce(sum(hours), 0) AS hours,
    count(*) FILTER (WHERE led_by_service_users) AS led,
    coalesce(sum(hours) FILTER (WHERE led_by_service_users), 0) AS led_hours
FROM events
WHERE type = 'involvement.recorded'
    AND local_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY ALL;
