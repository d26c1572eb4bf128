-- Widgets closed without an answer (the recontact rule reads them: see
-- select-last-contact in responses.sql).

-- name: insert-dismissals
INSERT INTO dismissals (survey_id, created_at, dismissal_id, respondent);
