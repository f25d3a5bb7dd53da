-- crisis_pre_post (v1) and crisis_savings_gbp (v1): one row per cohort
-- member and crisis-contact kind.
--
-- Index date: the person's first attended `peer_visit` session by a
-- `peer_worker` or `peer_coach`, in a referral of programme `crisis` or
-- `peer_coaching` (the first peer contact). Sanctuary visits and crisis-team
-- contacts are not index events: they are crisis contacts themselves (the
-- outcome), happen before the service's peer support exists, and an index
-- taken at a crisis would show a fall by regression to the mean alone.
-- Cohort: index date in [$from, $to], index session of the service
-- ($service = '' for all). Windows of $months calendar months:
--   before = [index - months, index)     after = [index, index + months)
-- (a contact on the index day counts after: conservative for savings).
-- full_window: both windows inside the data's span (span.sql). Every
-- crisis.contact of the person counts, whichever service recorded it.
-- kind is NULL for a cohort member without any crisis contact.
WITH span AS (
    SELECT
        min(local_date) AS span_start,
        max(local_date) AS span_end
    FROM events
),

peer AS (
    SELECT
        s.person,
        min(s.session_date) AS index_date,
        arg_min(s.service, s.occurred_at) AS index_service
    FROM sessions AS s
    INNER JOIN referrals AS r USING (referral_id)
    WHERE s.kind = 'peer_visit'
        AND s.attendance = 'attended'
        AND s.worker_role IN ('peer_worker', 'peer_coach')
        AND r.programme IN ('crisis', 'peer_coaching')
        AND s.person IS NOT NULL
    GROUP BY s.person
),

cohort AS (
    SELECT
        person,
        index_date,
        (index_date - to_months($months))::DATE AS before_start,
        (index_date + to_months($months))::DATE AS after_end
    FROM peer
    WHERE index_date BETWEEN $from::DATE AND $to::DATE
        AND ($service = '' OR index_service = $service)
),

contacts AS (
    SELECT
        person,
        kind,
        local_date,
        bed_days
    FROM events
    WHERE type = 'crisis.contact' AND person IS NOT NULL
)

SELECT
    c.person,
    c.index_date,
    c.before_start >= sp.span_start AND c.after_end - 1 <= sp.span_end AS full_window,
    k.kind,
    count(k.kind) FILTER (WHERE k.local_date >= c.before_start AND k.local_date < c.index_date) AS before_n,
    count(k.kind) FILTER (WHERE k.local_date >= c.index_date AND k.local_date < c.after_end) AS after_n,
    coalesce(sum(k.bed_days) FILTER (WHERE k.local_date >= c.before_start AND k.local_date < c.index_date), 0)::DOUBLE
        AS before_bed_days,
    coalesce(sum(k.bed_days) FILTER (WHERE k.local_date >= c.index_date AND k.local_date < c.after_end), 0)::DOUBLE
        AS after_bed_days,
    count(k.kind) FILTER (
        WHERE k.bed_days IS NULL AND k.local_date >= c.before_start AND k.local_date < c.after_end
    ) AS no_bed_days
FROM cohort AS c
CROSS JOIN span AS sp
LEFT JOIN contacts AS k ON k.person = c.person
GROUP BY ALL
ORDER BY c.person, k.kind;
