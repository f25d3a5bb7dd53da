-- theme_frequency (v1): one row per coded piece of feedback received in
-- [$from, $to] and code of its latest coding (code NULL when the coding has
-- no code: still coded feedback, in the denominator).
--
-- outcome_grp: the talking-therapies outcome of the respondent's episode,
-- 'recovered' / 'not_recovered' among episodes in the recovery cohort
-- (finished, paired, at caseness at first: recovery_rate's denominator).
-- Linked by the feedback's referral_id; when it has none (or names no
-- episode), the person's latest such episode ended on or before the
-- feedback date. NULL when not linkable.
WITH fb AS (
    SELECT *
    FROM ({{feedback}}) AS f
    WHERE received_date BETWEEN $from::DATE AND $to::DATE
        AND ($service = '' OR service = $service)
),

eligible AS (
    SELECT
        referral_id,
        person,
        ended_at,
        ended_date,
        recovered
    FROM episodes
    WHERE finished AND paired AND NOT not_at_caseness
),

by_referral AS (
    SELECT
        f.feedback_id,
        e.recovered
    FROM fb AS f
    INNER JOIN eligible AS e ON e.referral_id = f.referral_id
),

by_person AS (
    SELECT
        f.feedback_id,
        arg_max(e.recovered, e.ended_at) AS recovered
    FROM fb AS f
    INNER JOIN eligible AS e ON e.person = f.person AND e.ended_date <= f.received_date
    WHERE f.referral_id IS NULL OR f.referral_id NOT IN (SELECT referral_id FROM episodes)
    GROUP BY f.feedback_id
),

outcome AS (
    SELECT * FROM by_referral
    UNION ALL
    SELECT * FROM by_person
)

-- The codes are unnested from the one coding row (a coding without codes
-- gives one row, code NULL): joined to the coding a second time to unnest
-- it, the query ran the coding window twice, and at 40M events it took
-- 474-558 MiB over its start against 435 (/proc VmHWM, reset before each
-- run; four runs against two, over a saved build) and 1.42-1.63 s
-- against 1.33-1.41.
SELECT
    f.feedback_id,
    coalesce(f.respondent, 'unknown') AS respondent,
    CASE WHEN o.recovered THEN 'recovered' WHEN NOT o.recovered THEN 'not_recovered' END AS outcome_grp,
    unnest(CASE WHEN len(c.codes) = 0 THEN [NULL::VARCHAR] ELSE c.codes END) AS code
FROM fb AS f
INNER JOIN ({{coding}}) AS c USING (feedback_id)
LEFT JOIN outcome AS o USING (feedback_id)
ORDER BY f.feedback_id, code;
