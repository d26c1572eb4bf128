-- Every change of a survey, newest version last: what GET
-- /api/v1/surveys/:id/versions lists. The surveys table keeps only the
-- latest body per id once merged, so the history lives here; changes is
-- the JSON list of changed fields with their old and new values.
CREATE TABLE IF NOT EXISTS survey_versions (
    survey_id String,
    version UInt32,
    changed_at DateTime('UTC'),
    action String,
    changes String
) ENGINE = ReplacingMergeTree
ORDER BY (survey_id, version);
