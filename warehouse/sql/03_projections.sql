-- Projections of current state, materialised once per Open.
--
-- {{events}}, {{referrals}}, {{superseded_sessions}}, {{sessions}} and
-- {{episode_scores}} are what a per-referral table is made from: the
-- relation of that name in a whole build, and only its rows of the
-- referrals that new lake files touch when Open updates a saved build
-- (update.go). A per-referral table must hold rows of one referral each,
-- computed from that referral's rows alone (a window or aggregate by
-- referral_id), and carry referral_id: an update keeps the saved rows of
-- the other referrals.

-- measure_thresholds: caseness cut-off (at caseness when score >= caseness)
-- and reliable change per measure, all lower-is-better, with the source of
-- the values. PHQ-9 and GAD-7 are built in and confirmed (METRICS.md); the
-- anxiety-disorder-specific measures' rows are configuration
-- (Evaluation.Thresholds, each with its source), appended by Open.
-- A measure without a row here is not used: its referrals fall back to GAD-7.
CREATE OR REPLACE TABLE measure_thresholds AS
SELECT
    measure,
    CAST(caseness AS DOUBLE) AS caseness,
    CAST(reliable_change AS DOUBLE) AS reliable_change,
    source
FROM (
    VALUES
    ('phq9', 10, 6, 'NHS Digital, NHS Talking Therapies technical output specification'),
    ('gad7', 8, 4, 'NHS Digital, NHS Talking Therapies technical output specification'){{configured_thresholds}}
) AS t (measure, caseness, reliable_change, source);

-- adsm_problems: problem → its anxiety-disorder-specific measure(s) in order
-- of preference, from scales.ADSMFor (Clark et al. 2018 Table 2; PTSD →
-- PCL-5, then the IES-R of older guidance). A problem not listed has none.
CREATE OR REPLACE TABLE adsm_problems AS
{{adsm_problems}};

-- referrals: one row per referral_id, from its first referral.received,
-- its last referral.ended, its last allocation and its first contact.
-- First and last are by (occurred_at, event_id); event_id is unique here.
-- A referral with no referral.received has no row.
--
-- The received row is found by a window, the rest by one aggregate, and the
-- two are joined: three statements. The received values are many and wide,
-- and as arg_min states of one aggregate they ran out of the 512MB
-- memory_limit at 40M events (an aggregate's string states do not spill);
-- a window orders them within the limit. Ended, allocated and contacted in
-- one aggregate took 0.76 s at 10M events and 3.0 s at 40M, against 0.97 s
-- and 4.6 s as three windows, each a table (report kpi --verbose).
-- The four at once (windows and joins in one statement) peaked at 1.1 GiB
-- at 40M. The received rule names its columns: SELECT * carried every
-- column of the wide events view through the window (16.6 s against 2.5 s
-- at 40M events).
CREATE OR REPLACE TABLE referral_received AS
SELECT
    referral_id,
    person,
    service,
    programme,
    occurred_at,
    local_date,
    referral_source,
    gp_practice,
    age_band,
    gender,
    ethnicity,
    long_term_condition,
    problem,
    complexity
FROM {{events}}
WHERE type = 'referral.received'
QUALIFY row_number() OVER (PARTITION BY referral_id ORDER BY occurred_at, event_id) = 1;

CREATE OR REPLACE TABLE referral_progress AS
SELECT
    referral_id,
    arg_max(
        {ended_at: occurred_at, ended_date: local_date, end_reason: reason, follow_up_offered: follow_up_offered},
        (occurred_at, event_id)
    ) FILTER (WHERE type = 'referral.ended') AS ended,
    arg_max(worker_id, (occurred_at, event_id)) FILTER (
        WHERE type = 'referral.status_changed' AND status = 'allocated' AND worker_id IS NOT NULL
    ) AS allocated_worker,
    min(local_date) FILTER (
        WHERE type = 'referral.status_changed' AND status = 'contacted'
    ) AS first_contacted_date
FROM {{events}}
WHERE type IN ('referral.ended', 'referral.status_changed')
GROUP BY referral_id;

CREATE OR REPLACE TABLE referrals AS
SELECT
    r.referral_id,
    r.person,
    r.service,
    r.programme,
    r.occurred_at AS received_at,
    r.local_date AS received_date,
    r.referral_source,
    r.gp_practice,
    r.age_band,
    r.gender,
    r.ethnicity,
    r.long_term_condition,
    r.problem,
    r.complexity,
    p.ended.ended_at,
    p.ended.ended_date,
    p.ended.end_reason,
    p.ended.follow_up_offered,
    p.allocated_worker,
    p.first_contacted_date
FROM referral_received AS r
LEFT JOIN referral_progress AS p USING (referral_id);

DROP TABLE referral_received;
DROP TABLE referral_progress;

-- sessions: one row per (referral_id, session_id); a session recorded again
-- under a new event_id is an update, and the one recorded last wins.
-- Updates are rare, so superseded_sessions first finds the sessions
-- recorded more than once and orders only their rows (a window over every
-- session's columns would cost far more time and memory than the table it
-- builds); with no update the second pass ends at once. event_id is unique
-- in events (visible_events keeps one row per event_id).
CREATE OR REPLACE TABLE superseded_sessions AS
SELECT
    r.referral_id,
    r.event_id
FROM {{events}} AS r
INNER JOIN (
    SELECT
        referral_id,
        session_id
    FROM {{events}}
    WHERE type = 'session.recorded'
    GROUP BY referral_id, session_id
    HAVING count(*) > 1
) AS k
    ON r.referral_id IS NOT DISTINCT FROM k.referral_id
    AND r.session_id IS NOT DISTINCT FROM k.session_id
WHERE r.type = 'session.recorded'
QUALIFY row_number() OVER (
    PARTITION BY r.referral_id, r.session_id ORDER BY r.recorded_at DESC, r.event_id DESC
) > 1;

CREATE OR REPLACE TABLE sessions AS
SELECT
    e.event_id,
    e.referral_id,
    e.person,
    e.service,
    e.session_id,
    e.occurred_at,
    e.local_date AS session_date,
    e.kind,
    e.attendance,
    e.worker_id,
    e.worker_role,
    e.step,
    e.co_delivered_by_peer,
    e.duration_min,
    e.setting,
    e.intervention,
    coalesce(e.kind IN ('treatment', 'group') AND e.attendance = 'attended', FALSE) AS is_treatment
FROM {{events}} AS e
ANTI JOIN {{superseded_sessions}} AS s ON e.event_id IS NOT DISTINCT FROM s.event_id
WHERE e.type = 'session.recorded';

-- scores: every outcome measure taken, with its local date. A view: the
-- one query of the KPI report that reads it (episodes) needs six of its
-- columns, and a national year holds millions of scores.
CREATE OR REPLACE VIEW scores AS
SELECT
    event_id,
    referral_id,
    person,
    service,
    measure,
    timepoint,
    weeks,
    session_id,
    items,
    total,
    vas,
    level,
    occurred_at,
    local_date AS score_date
FROM events
WHERE type = 'outcome.recorded';
