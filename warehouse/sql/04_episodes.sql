-- episode_scores: the scores with a total taken within their referral's
-- episode (from receipt to the end date, inclusive, in local dates): the
-- rows the paired-score aggregates of episodes read. When episodes is built
-- in parts, Open keeps them in a table first, so that the parts do not each
-- read the lake's outcomes again (joining the referrals in each part
-- instead took 178 s at 40M events against 167 s, and 2.0 GiB of memory
-- against 1.4). When it is built in one part, episode_scores is a view and
-- the one episodes statement reads the outcomes itself: writing the table
-- and reading it back cost more than it saved (4.6-4.7 s against 3.8-4.0 s
-- for the two at 10M events). See episodeparts.go.
CREATE OR REPLACE TABLE episode_scores AS
SELECT
    s.referral_id,
    s.measure,
    s.total,
    s.occurred_at,
    s.local_date AS score_date,
    s.event_id
FROM {{events}} AS s
INNER JOIN {{referrals}} AS r USING (referral_id)
WHERE s.type = 'outcome.recorded'
    AND s.total IS NOT NULL
    AND s.local_date >= r.received_date
    AND (r.ended_date IS NULL OR s.local_date <= r.ended_date);

-- episodes: one row per referral, the referral's attributes plus what its
-- care amounted to. Every talking-therapies metric reads this table.
--
--   first_treatment_date, treatment_sessions: attended `treatment`/`group`
--     sessions (METRICS.md conventions)
--   wait_days: first_treatment_date - received_date, whole local days
--   worker_id: the referral's clinician, the worker with most attended
--     treatment sessions, ties broken by the earliest first such session
--     (then by worker_id)
--   step: the highest step of any of the referral's sessions
--   <measure>_first/_last/_paired: paired scores, at least two scores on
--     different local dates between receipt and the end date (inclusive),
--     first = earliest, last = latest (same-day ties by time, then event_id)
--   adsm_measure: the problem's anxiety-disorder-specific measure
--     (scales.ADSMFor via adsm_problems), NULL when the problem has none
--   adsm_paired: paired scores on the ADSM (for PTSD, PCL-5 or IES-R),
--     whether or not thresholds are configured for it (adsm_use_rate)
--   anxiety_measure: the problem's ADSM (the first by preference) that has
--     thresholds in measure_thresholds and paired scores; else GAD-7
--   anxiety_measure_reason: adsm | gad7_fallback_no_thresholds (the
--     problem has an ADSM but none of its candidates has thresholds) |
--     gad7_fallback_no_paired_adsm (thresholds configured, no paired scores
--     on a configured candidate) | gad7_not_applicable (no ADSM)
--   anx_*: scores and thresholds of anxiety_measure (all measures are
--     lower-is-better: at caseness when score >= caseness, improved when
--     first - last >= reliable change); anx_threshold_source says where
--     its thresholds come from
--   finished: ended with >= 2 treatment sessions
--   paired: paired on both the depression and the anxiety measure
--   not_at_caseness, recovered, reliable_improvement,
--   reliable_deterioration, reliable_recovery: METRICS.md "Outcomes",
--     FALSE unless paired
--
-- A national year's episodes need more memory than the default
-- memory_limit in one query (at 40M events it ran out at 512MB), so Open
-- builds them in parts of the referrals (episodeparts.go), split by
-- hash(referral_id): {{episode_part}} is TRUE for one part, else one
-- part's predicate; every CTE is per referral, so the parts are disjoint
-- and together the whole table (TestEpisodePartsMatchOneQuery).
CREATE OR REPLACE TABLE episodes AS
WITH part_referrals AS NOT MATERIALIZED (
    SELECT *
    FROM {{referrals}}
    WHERE {{episode_part}}
),

part_sessions AS NOT MATERIALIZED (
    SELECT *
    FROM {{sessions}}
    WHERE {{episode_part}}
),

treatment AS (
    SELECT
        referral_id,
        min(session_date) AS first_treatment_date,
        count(*) AS treatment_sessions
    FROM part_sessions
    WHERE is_treatment
    GROUP BY referral_id
),

clinician AS (
    SELECT
        referral_id,
        worker_id
    FROM part_sessions
    WHERE is_treatment
    GROUP BY referral_id, worker_id
    QUALIFY row_number() OVER (
        PARTITION BY referral_id ORDER BY count(*) DESC, min(occurred_at), worker_id
    ) = 1
),

steps AS (
    SELECT
        referral_id,
        max(step) AS step
    FROM part_sessions
    GROUP BY referral_id
),

in_episode AS (
    SELECT *
    FROM {{episode_scores}}
    WHERE {{episode_part}}
),

pairs AS (
    SELECT
        referral_id,
        measure,
        -- the earliest and latest by (occurred_at, event_id), and two
        -- distinct dates, written as arg_min/arg_max and min < max: the
        -- same values as first/last(... ORDER BY ...) and
        -- count(DISTINCT score_date) >= 2 (score_date is never NULL here),
        -- in an aggregate that can spill to disk under Config.MemoryLimit.
        -- The order is a sort key (a BLOB that compares as the pair does;
        -- neither is NULL here): as a struct, (occurred_at, event_id),
        -- the statement took 3.6-3.7 s at 10M events against 3.1-3.4 s,
        -- the same table (EXCEPT ALL both ways empty).
        arg_min(total, create_sort_key(occurred_at, 'ASC NULLS LAST', event_id, 'ASC NULLS LAST')) AS first_score,
        arg_max(total, create_sort_key(occurred_at, 'ASC NULLS LAST', event_id, 'ASC NULLS LAST')) AS last_score,
        min(score_date) < max(score_date) AS paired
    FROM in_episode
    GROUP BY referral_id, measure
),

candidates AS (
    SELECT
        r.referral_id,
        ap.measure,
        ap.preference,
        mt.measure IS NOT NULL AS configured,
        coalesce(p.paired, FALSE) AS paired
    FROM part_referrals AS r
    INNER JOIN adsm_problems AS ap ON ap.problem = r.problem
    LEFT JOIN measure_thresholds AS mt ON mt.measure = ap.measure
    LEFT JOIN pairs AS p ON p.referral_id = r.referral_id AND p.measure = ap.measure
),

chosen AS (
    SELECT
        referral_id,
        arg_min(measure, preference) AS adsm_measure,
        bool_or(paired) AS adsm_paired,
        bool_or(configured) AS adsm_configured,
        arg_min(measure, preference) FILTER (WHERE configured AND paired) AS adsm_used
    FROM candidates
    GROUP BY referral_id
),

measured AS (
    SELECT
        r.*,
        t.first_treatment_date,
        coalesce(t.treatment_sessions, 0) AS treatment_sessions,
        t.first_treatment_date - r.received_date AS wait_days,
        c.worker_id,
        st.step,
        ch.adsm_measure,
        coalesce(ch.adsm_paired, FALSE) AS adsm_paired,
        coalesce(ch.adsm_used, 'gad7') AS anxiety_measure,
        CASE
            WHEN ch.adsm_measure IS NULL THEN 'gad7_not_applicable'
            WHEN ch.adsm_used IS NOT NULL THEN 'adsm'
            WHEN NOT ch.adsm_configured THEN 'gad7_fallback_no_thresholds'
            ELSE 'gad7_fallback_no_paired_adsm'
        END AS anxiety_measure_reason,
        d.first_score AS phq9_first,
        d.last_score AS phq9_last,
        coalesce(d.paired, FALSE) AS phq9_paired,
        a.first_score AS anx_first,
        a.last_score AS anx_last,
        coalesce(a.paired, FALSE) AS anx_paired,
        dt.caseness AS phq9_caseness,
        dt.reliable_change AS phq9_reliable_change,
        ax.caseness AS anx_caseness,
        ax.reliable_change AS anx_reliable_change,
        ax.source AS anx_threshold_source
    FROM part_referrals AS r
    LEFT JOIN treatment AS t USING (referral_id)
    LEFT JOIN clinician AS c USING (referral_id)
    LEFT JOIN steps AS st USING (referral_id)
    LEFT JOIN pairs AS d ON d.referral_id = r.referral_id AND d.measure = 'phq9'
    LEFT JOIN chosen AS ch USING (referral_id)
    LEFT JOIN pairs AS a ON a.referral_id = r.referral_id AND a.measure = coalesce(ch.adsm_used, 'gad7')
    LEFT JOIN measure_thresholds AS dt ON dt.measure = 'phq9'
    LEFT JOIN measure_thresholds AS ax ON ax.measure = coalesce(ch.adsm_used, 'gad7')
),

flagged AS (
    SELECT
        *,
        ended_date IS NOT NULL AND treatment_sessions >= 2 AS finished,
        phq9_paired AND anx_paired AS paired,
        phq9_paired AND anx_paired AND phq9_first >= phq9_caseness AS phq9_case_first,
        phq9_paired AND anx_paired AND anx_first >= anx_caseness AS anx_case_first,
        phq9_paired AND anx_paired AND phq9_last < phq9_caseness AND anx_last < anx_caseness AS below_caseness_last,
        phq9_paired AND phq9_first - phq9_last >= phq9_reliable_change AS phq9_improved,
        phq9_paired AND phq9_last - phq9_first >= phq9_reliable_change AS phq9_deteriorated,
        anx_paired AND anx_first - anx_last >= anx_reliable_change AS anx_improved,
        anx_paired AND anx_last - anx_first >= anx_reliable_change AS anx_deteriorated
    FROM measured
)

SELECT
    * EXCLUDE (phq9_case_first, anx_case_first, below_caseness_last),
    paired AND NOT phq9_case_first AND NOT anx_case_first AS not_at_caseness,
    paired AND (phq9_case_first OR anx_case_first) AND below_caseness_last AS recovered,
    paired AND (phq9_improved OR anx_improved) AND NOT (phq9_deteriorated OR anx_deteriorated)
        AS reliable_improvement,
    paired AND (phq9_deteriorated OR anx_deteriorated) AND NOT (phq9_improved OR anx_improved)
        AS reliable_deterioration,
    paired AND (phq9_case_first OR anx_case_first) AND below_caseness_last
    AND (phq9_improved OR anx_improved) AND NOT (phq9_deteriorated OR anx_deteriorated)
        AS reliable_recovery
FROM flagged;

-- session_facts: sessions with their referral's attributes, so that the
-- engagement metrics break down by the same dimensions as the outcomes.
-- Here worker_id and step are the session's own. A view: a query joins
-- the columns it needs, where a table would copy every session again.
CREATE OR REPLACE VIEW session_facts AS
SELECT
    s.*,
    e.programme,
    e.referral_source,
    e.gp_practice,
    e.age_band,
    e.gender,
    e.ethnicity,
    e.problem,
    e.complexity
FROM sessions AS s
INNER JOIN episodes AS e USING (referral_id);
