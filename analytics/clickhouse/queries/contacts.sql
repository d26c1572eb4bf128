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
INSERT INTO suppressions (contact_id, email, reason, created_at);

-- name: select-suppressed
SELECT DISTINCT contact_id FROM suppressions;
