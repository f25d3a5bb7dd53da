-- pack_service (consultation pack): the clinician's service, the one of
-- most of the talking-therapies episodes they are the clinician of.
SELECT service
FROM episodes
WHERE programme = 'talking_therapies' AND worker_id = $worker
GROUP BY service
ORDER BY count(*) DESC, service
LIMIT 1;
