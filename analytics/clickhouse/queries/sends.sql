-- Sends (JSON body, newest version wins), the per-contact send log and
-- SendGrid's webhook events.

-- name: insert-send
INSERT INTO sends (send_id, version, body, updated_at);

-- name: select-send
-- args: send id
SELECT argMax(body, version) FROM sends WHERE send_id = ? GROUP BY send_id;

-- name: select-sends
SELECT argMax(body, version) FROM sends GROUP BY send_id;

-- name: insert-send-log
INSERT INTO send_log (send_id, kind, contact_id, status, survey_id, email, created_at, version);

-- name: select-send-statuses
-- Each contact's latest status in one send of one kind.
-- args: send id, kind
SELECT contact_id, argMax(status, version) FROM send_log
WHERE send_id = ? AND kind = ?
GROUP BY contact_id;

-- name: select-send-counts
-- How many contacts of a send have each latest status, per kind.
-- args: send id
SELECT kind, status, count() FROM (
	SELECT kind, contact_id, argMax(status, version) AS status FROM send_log
	WHERE send_id = ?
	GROUP BY kind, contact_id)
GROUP BY kind, status;

-- name: select-emailed-contacts
-- The contacts emailed about a survey since a time, by any send. The latest
-- status of each contact in each send counts: a batch that failed was
-- logged 'sending' first and must not count as emailed.
-- args: survey, since
SELECT DISTINCT contact_id FROM (
	SELECT send_id, kind, contact_id, argMax(status, version) AS last_status FROM send_log
	WHERE survey_id = ? AND created_at >= toDateTime(?)
	GROUP BY send_id, kind, contact_id)
WHERE last_status IN ('sending', 'sent');

-- name: insert-email-events
INSERT INTO email_events (sg_event_id, event, email, contact_id, send_id, survey_id, reason, created_at);

-- name: select-email-event-counts
-- Distinct events of a send by type (SendGrid may deliver one twice).
-- args: send id
SELECT event, uniqExact(sg_event_id) FROM email_events WHERE send_id = ? GROUP BY event;
