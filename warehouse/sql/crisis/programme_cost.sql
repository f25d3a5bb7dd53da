-- return_per_pound (v1), its denominator: the cost of the programmes that
-- deliver the index contact of crisis_pre_post (`crisis` and
-- `peer_coaching`) in the period. A cost.recorded whose [period_start,
-- period_end] overlaps [$from, $to] counts pro rata by days:
--   amount_gbp × overlap days ÷ days of its own period (both inclusive).
--
-- Workaround: lake files written so far hold period_start/period_end as
-- int32(UnixNano) instead of days since the epoch (parquet-go's `date` tag
-- on the *time.Time fields of events.ProgrammeRow), which reads as a date
-- tens of thousands of years away. Because 86400e9 = 2^16 × 1318359375
-- (odd, inverse 58799 mod 2^16), the day is still recoverable modulo 2^16
-- days, i.e. for 1970-2149. A plausible date (1900-2200) is used as it is,
-- so files written after the fix read unchanged.
WITH costs AS (
    SELECT
        amount_gbp,
        CASE
            WHEN period_start BETWEEN DATE '1900-01-01' AND DATE '2200-12-31' THEN period_start
            ELSE DATE '1970-01-01' + (((((period_start - DATE '1970-01-01') >> 16) & 65535) * 58799) & 65535)::INTEGER
        END AS period_start,
        CASE
            WHEN period_end BETWEEN DATE '1900-01-01' AND DATE '2200-12-31' THEN period_end
            ELSE DATE '1970-01-01' + (((((period_end - DATE '1970-01-01') >> 16) & 65535) * 58799) & 65535)::INTEGER
        END AS period_end
    FROM events
    WHERE type = 'cost.recorded'
        AND programme IN ('crisis', 'peer_coaching')
        AND amount_gbp IS NOT NULL
        AND period_start IS NOT NULL
        AND period_end IS NOT NULL
        AND ($service = '' OR service = $service)
)

SELECT
    coalesce(sum(
        amount_gbp
        * (least(period_end, $to::DATE) - greatest(period_start, $from::DATE) + 1)
        / (period_end - period_start + 1)
    ), 0) AS cost_gbp,
    count(*) AS n
FROM costs
WHERE period_start <= $to::DATE
    AND period_end >= $from::DATE
    AND period_end >= period_start;
