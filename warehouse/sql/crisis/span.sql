-- The data's span: the first and last local date of any visible event (the
-- pre/post windows must lie inside it), and the first crisis.contact (the
-- area series start there: before it a zero would be a missing feed, not
-- a month without contacts).
SELECT
    (SELECT min(local_date) FROM events) AS span_start,
    (SELECT max(local_date) FROM events) AS span_end,
    (SELECT min(local_date) FROM events WHERE type = 'crisis.contact') AS first_contact;
