-- quotes (v1): candidate quotes, at most $per per code, from feedback
-- received in [$from, $to] whose latest record has consent_to_quote = TRUE
-- and a non-blank text, first by feedback_id. This is the ONLY query that
-- reads feedback text; the consent test is here, in the query, so that no
-- text without consent ever leaves the database. The top themes are
-- chosen in Go from theme_frequency.
WITH fb AS (
    SELECT *
    FROM ({{feedback}}) AS f
    WHERE consent_to_quote
        AND text IS NOT NULL
        AND trim(text) <> ''
        AND received_date BETWEEN $from::DATE AND $to::DATE
        AND ($service = '' OR service = $service)
)

SELECT
    u.code,
    f.feedback_id,
    f.text,
    coalesce(f.respondent, 'unknown') AS respondent
FROM fb AS f
INNER JOIN (
    SELECT
        feedback_id,
        unnest(codes) AS code
    FROM ({{coding}}) AS c
) AS u USING (feedback_id)
QUALIFY row_number() OVER (PARTITION BY u.code ORDER BY f.feedback_id) <= $per
ORDER BY u.code, f.feedback_id;
