-- Retention (analytics/retention.go): a survey's answers first given
-- before a cutoff lose their comment, respondent and properties, by ALTER
-- TABLE ... UPDATE mutations (score, reasons and dates stay: reports do not
-- change). Each mutation is sent only when a count finds rows to change,
-- so an hourly run over anonymised answers rewrites nothing. The cutoff is
-- Unix seconds.

-- name: count-expired-answers
-- Rows still holding personal parts ({table}: answers, or responses, the
-- previous layout kept as it was).
-- args: survey, cutoff
SELECT count() FROM {table}
WHERE survey_id = ? AND created_at < toDateTime(?)
	AND (comment != '' OR respondent != '' OR notEmpty(property_keys) OR notEmpty(property_values));

-- name: select-expired-answer-days
-- count-expired-answers of answers, by day ('survey YYYY-MM-DD'): the days
-- the mutation changes, which get a mark.
-- args: survey, cutoff
SELECT concat(survey_id, ' ', toString(toDate(created_at))) AS day, count() FROM answers
WHERE survey_id = ? AND created_at < toDateTime(?)
	AND (comment != '' OR respondent != '' OR notEmpty(property_keys) OR notEmpty(property_values))
GROUP BY day;

-- name: anonymise-answers
-- Not the sort key, nor the version: the row stays where it is and keeps
-- winning its merges as before, now without its personal parts.
-- args: survey, cutoff
ALTER TABLE {table} UPDATE comment = '', respondent = '', property_keys = emptyArrayString(), property_values = emptyArrayString()
WHERE survey_id = ? AND created_at < toDateTime(?)
	AND (comment != '' OR respondent != '' OR notEmpty(property_keys) OR notEmpty(property_values));

-- name: count-expired-customers
-- The churn report's rows of customers whose last answer (the version's
-- low bits: its time in ns) was given before the cutoff.
-- args: survey, cutoff (ns)
SELECT count() FROM answer_customers WHERE survey_id = ? AND bitAnd(version, 9223372036854775807) < ?;

-- name: delete-expired-customers
-- args: survey, cutoff (ns)
ALTER TABLE answer_customers DELETE WHERE survey_id = ? AND bitAnd(version, 9223372036854775807) < ?;

-- name: count-expired-dismissals
-- args: survey, cutoff
SELECT count() FROM dismissals WHERE survey_id = ? AND created_at < toDateTime(?);

-- name: delete-expired-dismissals
-- args: survey, cutoff
ALTER TABLE dismissals DELETE WHERE survey_id = ? AND created_at < toDateTime(?);

-- name: select-expired-case-notes
-- The cases opened (first answered) before the cutoff whose notes still
-- have text, with the number of such notes.
-- args: survey, survey, cutoff
SELECT toString(response_id), count() FROM case_notes
WHERE survey_id = ? AND text != ''
	AND response_id IN (SELECT response_id FROM cases WHERE survey_id = ? AND opened_at < toDateTime(?))
GROUP BY response_id
ORDER BY response_id;

-- name: empty-case-notes
-- args: survey, response ids
ALTER TABLE case_notes UPDATE text = '' WHERE survey_id = ? AND text != '' AND has(?, toString(response_id));

-- name: count-expired-days
-- Counted days before the cutoff's day still holding property segments
-- (counted before their answers were anonymised): dropped, MaintainDays
-- counts them again from the anonymised answers.
-- args: survey, cutoff
SELECT count() FROM answer_days
WHERE survey_id = ? AND day < toDate(toDateTime(?)) AND arrayExists(k -> notEmpty(k), seg_keys);

-- name: delete-expired-days
-- args: survey, cutoff
ALTER TABLE answer_days DELETE
WHERE survey_id = ? AND day < toDate(toDateTime(?)) AND arrayExists(k -> notEmpty(k), seg_keys);
