-- Cases (analytics/cases.go): what was done about a detractor answer. A
-- case's id is its response id; a case nobody acted on has no row. Each
-- write stores the case's whole current state, every row of a case under
-- the same sort key, with the write's time in ns as the version (strictly
-- increasing in a process): so a merge, like FINAL, keeps the latest
-- state. opened_at is the time of the response's first answer (it never
-- changes), so the closed cases of a range and their time to close read
-- this table alone.
-- (Numbered 0010: another branch adds 0009.)
CREATE TABLE IF NOT EXISTS cases (
    survey_id String,
    response_id UUID,
    version UInt64,
    opened_at DateTime('UTC'),
    status String,
    assignee String,
    closed_at DateTime('UTC'),
    closed_by String,
    updated_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY (survey_id, response_id);

-- The notes on cases, appended, never changed; version (the write's time
-- in ns) orders the notes of one second.
CREATE TABLE IF NOT EXISTS case_notes (
    survey_id String,
    response_id UUID,
    at DateTime('UTC'),
    version UInt64,
    author String,
    text String
) ENGINE = MergeTree
ORDER BY (survey_id, response_id, at);
