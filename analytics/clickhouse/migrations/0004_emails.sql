-- Emailed surveys. A score recorded by a link's GET alone is unconfirmed
-- (corporate link scanners "click" every link) until the answer page's
-- script or the follow-up confirms it; flags say why a click looked like a
-- scanner. Reports count confirmed answers unless asked otherwise.
-- (18.16 has no ADD COLUMN IF NOT EXISTS: the migration runner checks
-- system.columns itself; see execMigration in migrate.go.)
ALTER TABLE responses ADD COLUMN IF NOT EXISTS confirmed UInt8 DEFAULT 1;
ALTER TABLE responses ADD COLUMN IF NOT EXISTS flags String DEFAULT '';

-- People to survey by email, keyed by a hash of the normalised address.
CREATE TABLE IF NOT EXISTS contacts (
    contact_id String,
    version UInt64,
    email String,
    name String,
    property_keys Array(String),
    property_values Array(String),
    updated_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY contact_id;

-- Contacts who must get no survey email: unsubscribed, bounced, reported spam.
CREATE TABLE IF NOT EXISTS suppressions (
    contact_id String,
    email String,
    reason String,
    created_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY (contact_id, reason);

-- A send: a survey emailed to a selection of contacts (JSON body).
CREATE TABLE IF NOT EXISTS sends (
    send_id String,
    version UInt64,
    body String,
    updated_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY send_id;

-- What happened to each contact of a send. "sending" is written before the
-- SendGrid request and "sent" after it, so a resumed send never emails
-- anyone twice (at most once: a crash between the two leaves "sending").
CREATE TABLE IF NOT EXISTS send_log (
    send_id String,
    kind String,
    contact_id String,
    status String,
    survey_id String,
    email String,
    created_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (send_id, kind, contact_id);

-- SendGrid Event Webhook events, deduplicated on sg_event_id.
CREATE TABLE IF NOT EXISTS email_events (
    sg_event_id String,
    event String,
    email String,
    contact_id String,
    send_id String,
    survey_id String,
    reason String,
    created_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY sg_event_id;
