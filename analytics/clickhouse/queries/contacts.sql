-- Contacts (the newest version of each contact_id wins) and suppressions.
-- A property filter is a list of 'key\0value' pairs the contact must hold.

-- name: insert-contacts
INSERT INTO contacts (contact_id, version, email, name, property_keys, property_values, updated_at);

-- name: select-contacts
-- Every contact whose latest properties hold the filter, by id.
-- args: property pairs
SELECT contact_id, argMax(email, version), argMax(name, version),
	argMax(property_keys, version) AS keys, argMax(property_values, version) AS vals, max(updated_at)
FROM contacts
GROUP BY contact_id
HAVING hasAll(arrayMap((k, v) -> concat(k, '\0', v), keys, vals), ?)
ORDER BY contact_id;

-- name: select-contacts-by-id
-- The listed contacts whose latest properties hold the filter, by id. (A
-- bound slice is an Array literal: has(?, x), never IN (?).)
-- args: ids, property pairs
SELECT contact_id, argMax(email, version), argMax(name, version),
	argMax(property_keys, version) AS keys, argMax(property_values, version) AS vals, max(updated_at)
FROM contacts
WHERE has(?, contact_id)
GROUP BY contact_id
HAVING hasAll(arrayMap((k, v) -> concat(k, '\0', v), keys, vals), ?)
ORDER BY contact_id;

-- name: select-known-contacts
-- Which of the listed contacts exist, by primary key (IN a subquery uses
-- the index where has() scans; the caller never sends an empty list).
-- args: ids
SELECT DISTINCT contact_id FROM contacts WHERE contact_id IN (SELECT arrayJoin(?));

-- name: insert-suppression
-- A suppression, or (lifted = 1) its lifting: the newest row of a
-- contact's reason wins.
INSERT INTO contact_suppressions (contact_id, reason, email, lifted, created_at, version);

-- name: select-suppressed
-- The contacts with a suppression not lifted.
SELECT DISTINCT contact_id FROM (
	SELECT contact_id, reason, argMax(lifted, version) AS l FROM contact_suppressions
	GROUP BY contact_id, reason)
WHERE l = 0;

-- name: select-contact-suppressions
-- One contact's suppressions not lifted: why, and since when.
-- args: contact id
SELECT reason, toUInt32(t) FROM (
	SELECT reason, argMax(lifted, version) AS l, argMax(created_at, version) AS t FROM contact_suppressions
	WHERE contact_id = ?
	GROUP BY reason)
WHERE l = 0
ORDER BY reason;

-- name: search-contacts
-- Contacts whose email or name holds the text (any case), newest first;
-- an empty text lists every contact. Each contact's newest version.
-- args: text, text, limit
SELECT contact_id, email, name, keys, vals, updated FROM (
	SELECT contact_id, argMax(email, version) AS email, argMax(name, version) AS name,
		argMax(property_keys, version) AS keys, argMax(property_values, version) AS vals, max(updated_at) AS updated
	FROM contacts
	GROUP BY contact_id)
WHERE positionCaseInsensitiveUTF8(email, ?) > 0 OR positionCaseInsensitiveUTF8(name, ?) > 0
ORDER BY updated DESC, contact_id
LIMIT ?;

-- name: select-contact-sends
-- What was sent to one contact: each send and kind with its latest status
-- and when it was first logged.
-- args: contact id
SELECT send_id, kind, survey_id, argMax(status, version), toUInt32(min(created_at)) FROM send_log
WHERE contact_id = ?
GROUP BY send_id, kind, survey_id
ORDER BY min(created_at) DESC
LIMIT 200;

-- name: select-respondent-surveys
-- The surveys a respondent answered (a row per customer and survey).
-- args: respondent
SELECT DISTINCT survey_id FROM answer_customers WHERE respondent = ?;
