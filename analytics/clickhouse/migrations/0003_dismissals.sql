-- A widget closed without an answer. Recorded so that a person who said
-- "not now" is not asked again too soon, on any device, when the site told
-- Heed who they are (identify).
CREATE TABLE IF NOT EXISTS dismissals (
    survey_id String,
    created_at DateTime('UTC'),
    dismissal_id UUID,
    respondent String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(created_at)
ORDER BY (survey_id, created_at, dismissal_id);
