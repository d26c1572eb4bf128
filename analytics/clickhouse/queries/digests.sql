-- Digests (migrations/0008_digests.sql): each claim and outcome of a
-- survey's digest of a period is a row; the highest version is the state.

-- name: insert-digest
INSERT INTO digests (survey_id, schedule, period_start, version, attempt, status, claim_id, claimed_at,
	recipients, detail, updated_at);

-- name: select-digest
-- The row that wins for a period: the highest version, the row a merge
-- keeps (raw rows, not FINAL: a claimer reads its claim back at once, and
-- must see a rival's earlier claim even before any merge).
-- args: survey, schedule, period start (YYYY-MM-DD)
SELECT attempt, status, claim_id, claimed_at, recipients, detail, updated_at
FROM digests
WHERE survey_id = ? AND schedule = ? AND period_start = toDate(?)
ORDER BY version DESC
LIMIT 1;
