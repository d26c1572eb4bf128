-- Surveys are few and small: each change writes a new row with a higher
-- version and the whole survey as JSON in body, so adding a survey field never
-- needs a migration. Readers take argMax(body, version) per id.
CREATE TABLE IF NOT EXISTS surveys (
    id String,
    version UInt64,
    deleted UInt8,
    body String,
    updated_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;
