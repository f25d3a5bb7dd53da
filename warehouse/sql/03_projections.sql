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
-- last referral.ended, its last allocation and its first contact.
CREATE OR REPLACE TABLE referrals AS
WITH received AS (
    SELECT *
    FROM events
    WHERE type = 'referral.received'
    QUALIFY row_number() OVER (PARTITION BY referral_id ORDER BY occurred_at, event_id) = 1
),

ended AS (
    SELECT
        referral_id,
        occurred_at AS ended_at,
        local_date AS ended_date,
        reason AS end_reason,
        follow_up_offered
    FROM events
    WHERE type = 'referral.ended'
    QUALIFY row_number() OVER (PARTITION BY referral_id ORDER BY occurred_at DESC, event_id DESC) = 1
),

allocated AS (
    SELECT
        referral_id,
        worker_id AS allocated_worker
    FROM events
    WHERE type = 'referral.status_changed' AND status = 'allocated' AND worker_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY referral_id ORDER BY occurred_at DESC, event_id DESC) = 1
),

contacted AS (
    SELECT
        referral_id,
        min(local_date) AS first_contacted_date
    FROM events
    WHERE type = 'referral.status_changed' AND status = 'contacted'
    GROUP BY referral_id
)

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
FROM received AS r
LEFT JOIN ended AS e USING (referral_id)
LEFT JOIN allocated AS a USING (referral_id)
LEFT JOIN contacted AS c USING (referral_id);

-- sessions: one row per (referral_id, session_id); a session recorded again
-- under a new event_id is an update, and the one recorded last wins.
CREATE OR REPLACE TABLE sessions AS
SELECT
    event_id,
    referral_id,
    person,
    service,
    session_id,
    occurred_at,
    local_date AS session_date,
    kind,
    attendance,
    worker_id,
    worker_role,
    step,
    co_delivered_by_peer,
    duration_min,
    setting,
    intervention,
    coalesce(kind IN ('treatment', 'group') AND attendance = 'attended', FALSE) AS is_treatment
FROM events
WHERE type = 'session.recorded'
QUALIFY row_number() OVER (
    PARTITION BY referral_id, session_id ORDER BY recorded_at DESC, event_id DESC
) = 1;

-- scores: every outcome measure taken, with its local date.
CREATE OR REPLACE TABLE scores AS
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
