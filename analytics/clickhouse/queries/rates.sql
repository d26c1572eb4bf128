-- Response rates: what became of each send's survey emails (emailed,
-- delivered, opened, answered), from the send log, SendGrid's events and
-- the answers.

-- name: select-send-emailed
-- The sends of a survey started in [from, to): when each began and how
-- many contacts' survey email SendGrid took (latest status 'sent'; a
-- 'sending' left by a crash may or may not have gone out, and is not
-- counted).
-- args: survey, from, to
SELECT send_id, toUInt32(min(first)), toUInt64(countIf(last_status = 'sent')) FROM (
	SELECT send_id, contact_id, min(created_at) AS first, argMax(status, version) AS last_status FROM send_log
	WHERE survey_id = ? AND kind = 'initial' AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
	GROUP BY send_id, contact_id)
GROUP BY send_id;

-- name: select-send-events
-- How many contacts of each send SendGrid saw delivered and opened (an
-- event may come twice, a person may open twice: distinct contacts).
-- args: survey, send ids
SELECT send_id, event, toUInt64(uniqExact(contact_id)) FROM email_events
WHERE survey_id = ? AND has(?, send_id) AND event IN ('delivered', 'open')
GROUP BY send_id, event;

-- name: select-send-answers
-- How many contacts of each send answered with a confirmed score: email
-- answers carry their send in the send_id property, and a response's
-- confirmed answer has the highest version, so max(confirmed) is that of
-- its counting answer. Answers come after their email and before its link
-- expires: from, to bound the scan. Anyone may post an answer that says
-- channel email and any send_id, so only those of the contacts the send
-- emailed count (the same rows select-send-emailed counts: its range, the
-- latest status 'sent'): answered never passes emailed.
-- args: survey, from, to, send ids, survey, sends' from, sends' to, send ids
SELECT send, toUInt64(uniqExact(respondent)) FROM (
	SELECT property_values[indexOf(property_keys, 'send_id')] AS send, respondent, confirmed FROM answers
	WHERE survey_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?) AND channel = 'email')
WHERE confirmed = 1 AND has(?, send) AND (send, respondent) IN (
	SELECT send_id, contact_id FROM send_log
	WHERE survey_id = ? AND kind = 'initial' AND created_at >= toDateTime(?) AND created_at < toDateTime(?) AND has(?, send_id)
	GROUP BY send_id, contact_id
	HAVING argMax(status, version) = 'sent')
GROUP BY send;
