-- Statements of make bench itself (not of Heed), loaded like Heed's own
-- (clickhouse.LoadStatements). {database} and {period} are checked
-- identifiers.

-- name: drop-database
DROP DATABASE IF EXISTS `{database}`;

-- name: count-raw-rows
-- Raw rows of a survey, before any dedupe: what was stored.
SELECT count() FROM answers WHERE survey_id = ?;

-- name: generate-answers
-- n responses spread evenly over [start, start + span), at native insert
-- speed (on the server), as Heed would have stored them. With surveys = 1
-- they all belong to the survey named prefix; with more, each response n
-- goes to survey prefix_i, i = cityHash64(n, 5) % surveys (a hash, not
-- n % surveys, so the kinds below, chosen by n modulo 10..100, spread
-- evenly over every survey). Every row of a response carries its first
-- answer's time, versions the confirmed bit. Each response n has a first
-- answer (kind 0) and:
--   n % 10 = 3: a follow-up 90 s later, maybe another score, a comment (kind 1);
--   n % 20 = 1: an email whose first click is unconfirmed (a scanner);
--     of those, n % 40 = 1 confirmed 60 s later (kind 2), and n % 80 = 1
--     clicked again a day after (10, unconfirmed; kind 3);
--   n % 100 = 7: the first answer replayed (kind 4, a duplicate row).
-- Five reasons (rude service leads among detractors), three channels, a
-- plan property.
-- args: prefix, surveys, surveys, start (unix), span (seconds), n, n
INSERT INTO answers (survey_id, created_at, response_id, version, score, reasons, comment, channel, respondent,
	property_keys, property_values, confirmed, flags)
SELECT survey, created_at, response_id,
	bitOr(if(confirmed = 1, 9223372036854775808, 0), toUInt64(toUnixTimestamp(created_at)) * 1000000000 + offset),
	score, reasons, comment, channel, respondent, ['plan'], [plan], confirmed, if(confirmed = 1, '', 'scanner_agent')
FROM (
	SELECT survey, created_at, response_id, plan, channel, respondent,
		[0, 90000000000, 60000000000, 86400000000000, 0][kind + 1] + n % 1000000 AS offset,
		multiIf(kind = 1, toUInt8(least(10, greatest(0, toInt16(score0) + toInt16(r % 3) - 1))), kind = 3, toUInt8(10), score0) AS score,
		if(kind = 3, emptyArrayString(), reasons0) AS reasons,
		if(kind = 1, concat('follow-up ', toString(n)), '') AS comment,
		toUInt8(NOT (kind = 3 OR (kind IN (0, 4) AND unconfirmed))) AS confirmed
	FROM (
		SELECT number AS n, concat(?, if(? > 1, concat('_', toString(cityHash64(n, 5) % greatest(?, 1))), '')) AS survey,
			toDateTime(? + intDiv(n * ?, ?), 'UTC') AS created_at,
			hex(MD5(concat(survey, toString(n)))) AS h,
			toUUID(concat(substring(h, 1, 8), '-', substring(h, 9, 4), '-', substring(h, 13, 4), '-', substring(h, 17, 4), '-', substring(h, 21, 12))) AS response_id,
			cityHash64(n) AS r,
			toUInt8(multiIf(r % 100 < 22, r % 7, r % 100 < 48, 7 + r % 2, 9 + r % 2)) AS score0,
			arrayFilter(x -> x != '', [if(score0 <= 6 AND r % 10 < 6, 'rude_service', ''), if(r % 7 = 1, 'price', ''),
				if(score0 <= 6 AND r % 5 = 2, 'slow_service', ''), if(r % 11 = 3, 'product_quality', ''), if(r % 13 = 4, 'other', '')]) AS reasons0,
			if(n % 20 = 1, 'email', ['widget', 'email', 'api'][1 + r % 3]) AS channel,
			['free', 'pro', 'team'][1 + intDiv(r, 3) % 3] AS plan,
			concat('cust-', toString(r % 1000000)) AS respondent,
			n % 20 = 1 AS unconfirmed
		FROM system.numbers LIMIT ?
	)
	ARRAY JOIN arrayFilter(k -> k >= 0, [0, if(n % 10 = 3, 1, -1), if(unconfirmed AND n % 40 = 1, 2, -1),
		if(unconfirmed AND n % 80 = 1, 3, -1), if(n % 100 = 7, 4, -1)]) AS kind
);

-- name: floor-report
-- The floor: the least any report of [from, to) must read and group, on
-- the raw rows, without folding a response, with periods in a time zone.
-- args: time zone, survey, from, to
SELECT {period}(created_at, ?) AS p, score, reasons, count() FROM answers
WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
GROUP BY p, score, reasons;

-- name: floor-grouped-report
-- The floor of a grouped report: floor-report by segment too (the channel
-- for key '', else the property's value).
-- args: time zone, key, key, survey, from, to
SELECT {period}(created_at, ?) AS p, if(? = '', channel, property_values[indexOf(property_keys, ?)]) AS seg, score, reasons, count()
FROM answers
WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
GROUP BY p, seg, score, reasons;

-- name: floor-latest
-- The floor of a latest-answers list: the newest raw rows of the range.
-- args: survey, from, to
SELECT created_at, score, reasons, comment FROM answers
WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
ORDER BY created_at DESC LIMIT 20;

-- name: generate-churn
-- Churn records for about 8 % of the customers generate-answers names
-- (cust-0 .. cust-999999), churned over [start, start + span), half of
-- them with a revenue: the churn report joins them.
-- args: start (unix), span (seconds)
INSERT INTO churn (customer, version, withdrawn, email, churned_at, reason, revenue, has_revenue, updated_at)
SELECT concat('cust-', toString(number)), 1, 0, '', toDateTime(? + cityHash64(number, 2) % ?, 'UTC'), 'bench',
	toFloat64(cityHash64(number, 3) % 200), toUInt8(cityHash64(number, 4) % 2), now()
FROM (SELECT number FROM system.numbers LIMIT 1000000)
WHERE cityHash64(number, 1) % 100 < 8;

-- name: floor-churn
-- The floor of the churn report: what a plain query of the same figures
-- reads and groups, without Heed's rules (no choice of the counting
-- answer, no versions of churn records): each customer's latest raw answer
-- to the survey, joined with the churn records, counted by score, reasons
-- and whether the churn fell within the window.
-- args: window (seconds), survey
SELECT score, reasons, churned, count(), sum(revenue) FROM (
	SELECT score, reasons, revenue, churned_at >= last_at AND churned_at < last_at + ? AS churned
	FROM (
		SELECT respondent, max(created_at) AS last_at, argMax(score, created_at) AS score, argMax(reasons, created_at) AS reasons
		FROM answers WHERE survey_id = ? GROUP BY respondent) AS last
	ANY LEFT JOIN (SELECT customer AS respondent, churned_at, revenue FROM churn) AS c
	USING respondent)
GROUP BY score, reasons, churned;

-- name: flush-logs
SYSTEM FLUSH LOGS;

-- name: query-peak-memory
-- The largest memory a query of Heed's used in a time window (Heed's
-- sessions log their queries in make bench-reports).
-- args: from, to (unix seconds)
SELECT toUInt64(max(memory_usage)), count() FROM system.query_log
WHERE type = 2 AND event_time >= toDateTime(?) AND event_time <= toDateTime(?);

-- name: build-answer-days
-- chDB only (Heed's Go code, MaintainDays, does this on the private
-- server): every day of a survey counted into answer_days, in one
-- statement, at the day's marks (what Report checks a count against).
-- args: survey, survey, survey
INSERT INTO answer_days (survey_id, day, computed, parts, mark_rows, mark_versions, score, reasons, confirmed, responses,
	seg_score, seg_reasons, seg_confirmed, seg_channel, seg_keys, seg_values, seg_responses)
SELECT survey_id, day, 1, 0, m_rows, m_versions, t_score, t_reasons, t_confirmed, t_n, score, reasons, confirmed, channel, keys, vals, n
FROM (
	SELECT survey_id, day, groupArray(score) AS score, groupArray(reasons) AS reasons, groupArray(confirmed) AS confirmed,
		groupArray(channel) AS channel, groupArray(property_keys) AS keys, groupArray(property_values) AS vals, groupArray(n) AS n
	FROM (
		SELECT survey_id, toDate(created_at) AS day, score, reasons, confirmed, channel, property_keys, property_values, count() AS n
		FROM answers FINAL WHERE survey_id = ?
		GROUP BY survey_id, day, score, reasons, confirmed, channel, property_keys, property_values)
	GROUP BY survey_id, day) AS g
ANY INNER JOIN (
	SELECT survey_id, day, groupArray(score) AS t_score, groupArray(reasons) AS t_reasons, groupArray(confirmed) AS t_confirmed,
		groupArray(n) AS t_n
	FROM (
		SELECT survey_id, toDate(created_at) AS day, score, reasons, confirmed, count() AS n
		FROM answers FINAL WHERE survey_id = ?
		GROUP BY survey_id, day, score, reasons, confirmed)
	GROUP BY survey_id, day) AS t
USING (survey_id, day)
ANY INNER JOIN (
	SELECT survey_id, day, sum(n_rows) AS m_rows, sum(version_sum) AS m_versions
	FROM answer_marks WHERE survey_id = ? GROUP BY survey_id, day) AS m
USING (survey_id, day);

-- name: create-live-followups
-- heedbench live on chDB: the responses follow-ups answer again, a sample
-- (one in k, at most 20,000) of the answers since a time.
-- args: since (unix), k
CREATE TABLE live_followups ENGINE = Memory AS
SELECT survey_id, created_at, response_id, reasons, channel, property_keys, property_values FROM answers
WHERE created_at >= toDateTime(?) AND cityHash64(toString(response_id)) % ? = 0
LIMIT 20000;

-- name: insert-live-answers
-- heedbench live on chDB: new answers of now as Heed's writer stores them
-- (a confirmed first answer, its own time, a fresh id), n to the largest
-- survey and m spread over prefix_0 .. prefix_(k-1).
-- args: largest, n, prefix, k, m
INSERT INTO answers (survey_id, created_at, response_id, version, score, reasons, comment, channel, respondent,
	property_keys, property_values, confirmed, flags)
SELECT survey, now(), generateUUIDv4(), bitOr(9223372036854775808, toUInt64(toUnixTimestamp(now())) * 1000000000 + rand(1) % 1000000000),
	toUInt8(rand(2) % 11) AS score, if(score <= 6 AND rand(3) % 2 = 0, ['rude_service'], emptyArrayString()), '',
	['widget', 'email', 'api'][1 + rand(4) % 3], '', ['plan'], [['free', 'pro', 'team'][1 + rand(5) % 3]], 1, ''
FROM (
	SELECT toString(?) AS survey FROM numbers(?)
	UNION ALL
	SELECT concat(?, '_', toString(rand(6) % ?)) AS survey FROM numbers(?));

-- name: insert-live-followups
-- heedbench live on chDB: n follow-ups (a later, confirmed answer, maybe
-- another score) of sampled responses.
-- args: n
INSERT INTO answers (survey_id, created_at, response_id, version, score, reasons, comment, channel, respondent,
	property_keys, property_values, confirmed, flags)
SELECT survey_id, created_at, response_id, bitOr(9223372036854775808, toUInt64(toUnixTimestamp(now())) * 1000000000 + rand(1) % 1000000000),
	toUInt8(rand(2) % 11), reasons, 'follow-up', channel, '', property_keys, property_values, 1, ''
FROM live_followups ORDER BY rand(3) LIMIT ?;

-- name: copy-survey
-- heedbench live: copies of one saved survey as surveys prefix_1 ..
-- prefix_(k-1), in one insert (10,000 separate saves would be 10,000 parts).
-- The body's "id" is rewritten (cut and glued: 18.16's replaceOne takes
-- only a constant replacement); everything else is the template's.
-- args: prefix, template json id ("id":"template") twice, k - 1, template id
INSERT INTO surveys (id, version, deleted, body, updated_at)
SELECT new_id, version, deleted,
	concat(substring(body, 1, p - 1), '"id":"', new_id, '"', substring(body, p + length(?))), updated_at
FROM (
	SELECT concat(?, '_', toString(i + 1)) AS new_id, version, deleted, body, position(body, ?) AS p, updated_at
	FROM surveys ARRAY JOIN range(?) AS i
	WHERE id = ?);

-- name: count-surveys
SELECT uniqExact(id) FROM surveys;

-- name: select-followup-ids
-- heedbench live: responses of the last days a follow-up may answer again
-- (a deterministic sample of at most limit, widget and API answers: an
-- email response is followed up through its link, not the API; and not
-- the generated ids that happen to read as version 5 UUIDs, which the API
-- refuses as Heed's own derived ids).
-- args: since (unix), one in, limit
SELECT survey_id, response_id FROM answers
WHERE created_at >= toDateTime(?) AND channel != 'email' AND substring(toString(response_id), 15, 1) != '5'
	AND cityHash64(toString(response_id)) % ? = 0
LIMIT ?;

-- name: select-heed-queries
-- heedbench live: the queries Heed ran in a window (its sessions set
-- log_queries=1; the bench's own connection names itself heedbench in
-- client_name, so current ClickHouse, which logs every query, leaves it out).
-- Each query's start (whole seconds: 18.16 logs no finer), rows read, the
-- head of its text and whether it names the survey (its id as a literal:
-- clickhouse-go binds on the client).
-- args: quoted survey id, from, from, to (unix seconds)
SELECT toUInt32(toUnixTimestamp(query_start_time)), read_rows, substring(query, 1, 300), toUInt8(position(query, ?) > 0)
FROM system.query_log
WHERE type != 1 AND event_date >= toDate(toDateTime(?)) AND query_start_time >= toDateTime(?) AND query_start_time <= toDateTime(?)
	AND client_name NOT LIKE '%heedbench%';
