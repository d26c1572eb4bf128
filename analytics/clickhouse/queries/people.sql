-- People: forgetting one (every row holding one of their emails or ids is
-- deleted by ALTER TABLE ... DELETE mutations), exporting one, and the
-- erased list (migrations/0013_erased.sql).
--
-- A person is a list of ids (respondent, contact and churn customer ids)
-- and a list of emails (lower-case). Bound lists are Array literals:
-- has(?, x), never IN (?). The caller never sends an empty list (an empty
-- literal has no type on 18.16): each ends with "\0", which no id or
-- email holds. A response is named "survey_id response_id" (a key), as
-- response ids are only unique within a survey; lists of keys come in
-- chunks that keep a statement under max_query_size.
--
-- A respondent may be an email address (an API client or the widget's
-- identify sent one), in any case and with spaces around: every statement
-- that finds rows by respondent also compares it, trimmed and lower-cased
-- as contacts' addresses are (ContactID), with the emails.

-- name: select-person-links
-- The ids and emails stored next to the person's ids or emails: a
-- contact's email, the contact id an event or a log row names. The caller
-- repeats it until nothing new comes.
-- args: ids, emails (for each of six tables)
SELECT contact_id, lower(email) FROM contacts WHERE has(?, contact_id) OR has(?, lower(email))
UNION ALL
SELECT customer, lower(email) FROM churn WHERE has(?, customer) OR has(?, lower(email))
UNION ALL
SELECT contact_id, lower(email) FROM send_log WHERE has(?, contact_id) OR has(?, lower(email))
UNION ALL
SELECT contact_id, lower(email) FROM email_events WHERE has(?, contact_id) OR has(?, lower(email))
UNION ALL
SELECT contact_id, lower(email) FROM contact_suppressions WHERE has(?, contact_id) OR has(?, lower(email))
UNION ALL
SELECT contact_id, lower(email) FROM suppressions WHERE has(?, contact_id) OR has(?, lower(email));

-- name: select-person-responses
-- The person's responses, as keys, with the day each was first given and
-- its respondent: an answer by one of their ids, by one of their emails
-- (any case), or with one of their emails as a property value
-- (identify({email: ...}), whose respondent id is then theirs too).
-- Follow-up rows without a respondent belong to the same response, so
-- they go by key.
-- args: ids, emails, emails
SELECT DISTINCT concat(survey_id, ' ', toString(response_id)), concat(survey_id, ' ', toString(toDate(created_at))), respondent
FROM answers
WHERE has(?, respondent) OR has(?, lowerUTF8(replaceRegexpAll(respondent, '^[[:space:]]+|[[:space:]]+$', ''))) OR arrayExists(v -> has(?, lower(v)), property_values);

-- name: count-person-answers
-- The stored rows of the person's answers ({table}: answers, or responses,
-- the previous layout kept as it was).
-- args: ids, emails, response keys
SELECT count() FROM {table}
WHERE has(?, respondent) OR has(?, lowerUTF8(replaceRegexpAll(respondent, '^[[:space:]]+|[[:space:]]+$', ''))) OR has(?, concat(survey_id, ' ', toString(response_id)));

-- name: delete-person-answers
-- args: ids, emails, response keys
ALTER TABLE {table} DELETE
WHERE has(?, respondent) OR has(?, lowerUTF8(replaceRegexpAll(respondent, '^[[:space:]]+|[[:space:]]+$', ''))) OR has(?, concat(survey_id, ' ', toString(response_id)));

-- name: count-response-rows
-- Rows of the person's responses by key ({table}: response_starts, cases,
-- case_notes).
-- args: response keys
SELECT count() FROM {table} WHERE has(?, concat(survey_id, ' ', toString(response_id)));

-- name: delete-response-rows
-- args: response keys
ALTER TABLE {table} DELETE WHERE has(?, concat(survey_id, ' ', toString(response_id)));

-- name: count-respondent-rows
-- Rows by respondent, an id or an email ({table}: answer_customers,
-- dismissals).
-- args: ids, emails
SELECT count() FROM {table} WHERE has(?, respondent) OR has(?, lowerUTF8(replaceRegexpAll(respondent, '^[[:space:]]+|[[:space:]]+$', '')));

-- name: delete-respondent-rows
-- args: ids, emails
ALTER TABLE {table} DELETE WHERE has(?, respondent) OR has(?, lowerUTF8(replaceRegexpAll(respondent, '^[[:space:]]+|[[:space:]]+$', '')));

-- name: count-contact-rows
-- Rows by contact id or email ({table}: contacts, contact_suppressions,
-- suppressions, send_log, email_events).
-- args: ids, emails
SELECT count() FROM {table} WHERE has(?, contact_id) OR has(?, lower(email));

-- name: delete-contact-rows
-- args: ids, emails
ALTER TABLE {table} DELETE WHERE has(?, contact_id) OR has(?, lower(email));

-- name: count-person-churn
-- args: ids, emails
SELECT count() FROM churn WHERE has(?, customer) OR has(?, lower(email));

-- name: delete-person-churn
-- args: ids, emails
ALTER TABLE churn DELETE WHERE has(?, customer) OR has(?, lower(email));

-- name: count-person-days
-- The counted days holding the person's answers (their segments may hold
-- property values); MaintainDays counts them again from what is left.
-- args: day keys ("survey_id YYYY-MM-DD")
SELECT count() FROM answer_days WHERE has(?, concat(survey_id, ' ', toString(day)));

-- name: delete-person-days
-- args: day keys
ALTER TABLE answer_days DELETE WHERE has(?, concat(survey_id, ' ', toString(day)));

-- name: select-person-sends
-- Every stored version of the sends whose body names one of the ids (a
-- send to a list of contact ids). The list has no "\0" end here: position
-- would take the NUL for the needle's end.
-- args: ids (never empty)
SELECT send_id, version, body FROM sends WHERE arrayExists(i -> position(body, concat('"', i, '"')) > 0, ?)
ORDER BY send_id, version;

-- name: delete-send-versions
-- A send's versions before the one that no longer names the person.
-- args: send id, version
ALTER TABLE sends DELETE WHERE send_id = ? AND version < ?;

-- name: insert-erased
INSERT INTO erased (hash, kind, key_id, erased_at);

-- name: select-erased
-- The erased list: each hash once, with the key it was made with.
SELECT hash, any(key_id) FROM erased GROUP BY hash;

-- name: select-erased-among
-- Which of these hashes are on the erased list: an insert's check of its
-- batch's rows (clickhouse.DB.SetErasure).
-- args: hashes
SELECT DISTINCT hash FROM erased WHERE has(?, hash);

-- name: count-erased
-- How many of the hashes are on the erased list.
-- args: hashes
SELECT uniqExact(hash) FROM erased WHERE has(?, hash);

-- name: select-person-contacts
-- Export: every stored version of the person's contacts.
-- args: ids, emails, limit
SELECT contact_id, email, name, property_keys, property_values, updated_at FROM contacts
WHERE has(?, contact_id) OR has(?, lower(email))
ORDER BY contact_id, version
LIMIT ?;

-- name: select-person-suppressions
-- args: ids, emails, limit
SELECT contact_id, reason, email, lifted, created_at FROM contact_suppressions
WHERE has(?, contact_id) OR has(?, lower(email))
ORDER BY contact_id, reason, version
LIMIT ?;

-- name: select-person-answers
-- Export: every stored row of the person's answers.
-- args: ids, emails, response keys, limit
SELECT survey_id, response_id, created_at, version, score, reasons, comment, channel, respondent,
	property_keys, property_values, confirmed
FROM answers
WHERE has(?, respondent) OR has(?, lowerUTF8(replaceRegexpAll(respondent, '^[[:space:]]+|[[:space:]]+$', ''))) OR has(?, concat(survey_id, ' ', toString(response_id)))
ORDER BY created_at, survey_id, response_id, version
LIMIT ?;

-- name: select-person-dismissals
-- args: ids, emails, limit
SELECT survey_id, created_at, respondent FROM dismissals WHERE has(?, respondent) OR has(?, lowerUTF8(replaceRegexpAll(respondent, '^[[:space:]]+|[[:space:]]+$', '')))
ORDER BY created_at
LIMIT ?;

-- name: select-person-send-log
-- args: ids, emails, limit
SELECT send_id, kind, survey_id, contact_id, email, status, created_at FROM send_log
WHERE has(?, contact_id) OR has(?, lower(email))
ORDER BY created_at, send_id, kind, version
LIMIT ?;

-- name: select-person-email-events
-- args: ids, emails, limit
SELECT event, email, contact_id, send_id, survey_id, reason, created_at FROM email_events
WHERE has(?, contact_id) OR has(?, lower(email))
ORDER BY created_at, sg_event_id
LIMIT ?;

-- name: select-person-cases
-- args: response keys, limit
SELECT survey_id, response_id, status, assignee, opened_at, updated_at FROM cases
WHERE has(?, concat(survey_id, ' ', toString(response_id)))
ORDER BY survey_id, response_id, version
LIMIT ?;

-- name: select-person-case-notes
-- args: response keys, limit
SELECT survey_id, response_id, at, author, text FROM case_notes
WHERE has(?, concat(survey_id, ' ', toString(response_id)))
ORDER BY at, version
LIMIT ?;

-- name: select-person-churn
-- args: ids, emails, limit
SELECT customer, email, withdrawn, churned_at, reason, revenue, has_revenue, updated_at FROM churn
WHERE has(?, customer) OR has(?, lower(email))
ORDER BY customer, version
LIMIT ?;

-- name: select-person-last-answers
-- args: ids, emails, limit
SELECT survey_id, respondent, score, reasons FROM answer_customers WHERE has(?, respondent) OR has(?, lowerUTF8(replaceRegexpAll(respondent, '^[[:space:]]+|[[:space:]]+$', '')))
ORDER BY survey_id, respondent, version
LIMIT ?;
