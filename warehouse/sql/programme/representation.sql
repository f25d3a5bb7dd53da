-- representation_ratio (v1): referrals received in the period, all
-- programmes (talking therapies, peer coaching, crisis, other), counted per
-- referral (a person referred twice counts twice), grouped by ethnicity and
-- by age band. The share of a group is its referrals ÷ the referrals whose
-- value is recorded (NULL and not_stated are left out of the denominator,
-- so that missing data does not make every group look under-represented);
-- Go divides it by the configured population share.
WITH cohort AS (
    SELECT
        ethnicity,
        age_band
    FROM referrals
    WHERE received_date BETWEEN $from::DATE AND $to::DATE
        AND ($service = '' OR service = $service)
),

long AS (
    SELECT
        'ethnicity' AS dim,
        ethnicity AS grp
    FROM cohort
    UNION ALL
    SELECT
        'age_band' AS dim,
        age_band AS grp
    FROM cohort
)

SELECT
    dim,
    grp,
    count(*) AS num,
    sum(count(*)) OVER (PARTITION BY dim) AS den
FROM long
WHERE grp IS NOT NULL AND grp <> 'not_stated'
GROUP BY dim, grp
ORDER BY dim, grp;
