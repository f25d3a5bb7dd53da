-- Projections of current state, materialised once per Open.

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

-- referrals: one row per referral_id, from its first referral.received, its
-- last referral.ended, its last allocation and its first contact. Each of
-- the four is a table of its own, built one after the other, then joined:
-- as one statement their windows and joins ran at once and the national
-- year's build peaked at 1.1 GiB resident under a 512MB memory_limit (each
-- alone stays near 0.8 GiB). The received rule names its columns: SELECT *
-- carried every column of the wide events view through the window (16.6 s
-- against 2.5 s at 40M events).
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
FROM events
WHERE type = 'referral.received'
QUALIFY row_number() OVER (PARTITION BY referral_id ORDER BY occurred_at, event_id) = 1;

CREATE OR REPLACE TABLE referral_ended AS
SELECT
    referral_id,
    occurred_at AS ended_at,
    local_date AS ended_date,
    reason AS end_reason,
    follow_up_offered
FROM events
WHERE type = 'referral.ended'
QUALIFY row_number() OVER (PARTITION BY referral_id ORDER BY occurred_at DESC, event_id DESC) = 1;

CREATE OR REPLACE TABLE referral_allocated AS
SELECT
    referral_id,
    worker_id AS allocated_worker
FROM events
WHERE type = 'referral.status_changed' AND status = 'allocated' AND worker_id IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY referral_id ORDER BY occurred_at DESC, event_id DESC) = 1;

CREATE OR REPLACE TABLE referral_contacted AS
SELECT
    referral_id,
    min(local_date) AS first_contacted_date
FROM events
WHERE type = 'referral.status_changed' AND status = 'contacted'
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
    e.ended_at,
    e.ended_date,
    e.end_reason,
    e.follow_up_offered,
    a.allocated_worker,
    c.first_contacted_date
FROM referral_received AS r
LEFT JOIN referral_ended AS e USING (referral_id)
LEFT JOIN referral_allocated AS a USING (referral_id)
LEFT JOIN referral_contacted AS c USING (referral_id);

DROP TABLE referral_received;
DROP TABLE referral_ended;
DROP TABLE referral_allocated;
DROP TABLE referral_contacted;

-- sessions: one row per (referral_id, session_id); a session recorded again
-- under a new event_id is an update, and the one recorded last wins.
-- Updates are rare, so superseded_sessions first finds the sessions
-- recorded more than once and orders only their rows (a window over every
-- session's columns would cost far more time and memory than the table it
-- builds); with no update the second pass ends at once. event_id is unique
-- in events (visible_events keeps one row per event_id).
CREATE OR REPLACE TABLE superseded_sessions AS
SELECT r.event_id
FROM events AS r
INNER JOIN (
    SELECT
        referral_id,
        session_id
    FROM events
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
FROM events AS e
ANTI JOIN superseded_sessions AS s ON e.event_id IS NOT DISTINCT FROM s.event_id
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
