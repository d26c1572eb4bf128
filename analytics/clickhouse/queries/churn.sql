-- Churn records (migrations/0007_churn.sql): per customer the row of the
-- highest version wins (the last write); a tombstone (withdrawn = 1) hides
-- the customer. The churn report links them to each customer's last answer.

-- name: insert-churn
INSERT INTO churn (customer, version, withdrawn, email, churned_at, reason, revenue, has_revenue, updated_at);

-- name: select-churn-recorded
-- Which of the listed customers have a churn record that is not withdrawn
-- (IN a subquery uses the sort key, where has() would scan).
-- args: customers
SELECT customer FROM churn
WHERE customer IN (SELECT arrayJoin(?))
GROUP BY customer
HAVING argMax(withdrawn, version) = 0;

-- name: select-churn-report
-- The customers of a survey counted by status and last answer, from
-- answer_customers (one row per customer: the fast path, for every answer
-- of the survey). A customer's last answer is their row of the highest
-- version: confirmed before unconfirmed, then the latest; with min version
-- 2^63 a customer with no confirmed answer is left out. Its day is the
-- answer's own time (the version's low 63 bits, in ns). The churn records
-- (small: customers who left) are joined by customer, each as its row of
-- the highest version (FINAL: a streaming merge of a table sorted by
-- customer, cheaper than grouping it), tombstones left out. Days are UTC
-- days, and the status rule is analytics.ClassifyChurn's:
--   no churn, or a churn from window days after the answer: stayed once
--   the window has closed (today - answer day >= window), else pending;
--   a churn before the answer's day: churned_before_answer;
--   otherwise churned once the window has closed, else pending_churned.
-- The answer comes as one number: the score in bits 0-3 and the k-th
-- reason of the survey's list (1-based, after the '' that keeps the list
-- from being an empty literal, which has no type on 18.16) in bit 4 + k;
-- reasons the survey no longer offers are left out. Decoding arrays per
-- group costs more than this, and grouping by a number is cheaper.
-- (Conditions on non-key columns stay outside FINAL: inside, 18.16 would
-- move them to PREWHERE, before the rows are folded.)
-- args: window days, today (days since 1970), window days, reason ids, survey, min version
SELECT multiIf(churned_day = 0 OR d >= ?, if(closed, 'stayed', 'pending'),
		d < 0, 'churned_before_answer',
		if(closed, 'churned', 'pending_churned')) AS status,
	answer, count(), sum(revenue * has_revenue), sum(has_revenue)
FROM (
	SELECT answer, revenue, has_revenue,
		intDiv(bitAnd(last_version, 9223372036854775807), 86400000000000) AS answer_day,
		toInt64(?) - toInt64(answer_day) >= ? AS closed,
		intDiv(toUInt32(churned_at), 86400) AS churned_day,
		toInt64(churned_day) - toInt64(answer_day) AS d
	FROM (
		SELECT respondent, version AS last_version,
			bitOr(toUInt64(score), arrayReduce('groupBitOr', arrayMap(i -> bitShiftLeft(toUInt64(1), 3 + i),
				arrayFilter(i -> i > 1, arrayMap(r -> indexOf(?, r), reasons))))) AS answer
		FROM (SELECT respondent, version, score, reasons FROM answer_customers FINAL WHERE survey_id = ?)
		WHERE version >= ?) AS last
	ANY LEFT JOIN (
		SELECT respondent, churned_at, revenue, has_revenue
		FROM (SELECT customer AS respondent, churned_at, revenue, has_revenue, withdrawn FROM churn FINAL)
		WHERE withdrawn = 0) AS churned
	USING respondent)
GROUP BY status, answer;

-- name: select-churn-range-report
-- select-churn-report over the responses first answered in [from, to): one
-- pass over those answers grouped by respondent, the last answer being the
-- row of the highest version, as in answer_customers (min confirmed 1
-- keeps confirmed rows only, which holds every counting answer that is
-- confirmed).
-- args: window days, today (days since 1970), window days, reason ids, survey, from, to, min confirmed
SELECT multiIf(churned_day = 0 OR d >= ?, if(closed, 'stayed', 'pending'),
		d < 0, 'churned_before_answer',
		if(closed, 'churned', 'pending_churned')) AS status,
	answer, count(), sum(revenue * has_revenue), sum(has_revenue)
FROM (
	SELECT answer, revenue, has_revenue,
		intDiv(bitAnd(last_version, 9223372036854775807), 86400000000000) AS answer_day,
		toInt64(?) - toInt64(answer_day) >= ? AS closed,
		intDiv(toUInt32(churned_at), 86400) AS churned_day,
		toInt64(churned_day) - toInt64(answer_day) AS d
	FROM (
		SELECT respondent, max(version) AS last_version,
			argMax(bitOr(toUInt64(score), arrayReduce('groupBitOr', arrayMap(i -> bitShiftLeft(toUInt64(1), 3 + i),
				arrayFilter(i -> i > 1, arrayMap(r -> indexOf(?, r), reasons))))), version) AS answer
		FROM answers
		WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?) AND respondent != '' AND confirmed >= ?
		GROUP BY respondent) AS last
	ANY LEFT JOIN (
		SELECT respondent, churned_at, revenue, has_revenue
		FROM (SELECT customer AS respondent, churned_at, revenue, has_revenue, withdrawn FROM churn FINAL)
		WHERE withdrawn = 0) AS churned
	USING respondent)
GROUP BY status, answer;
