-- Claims (migrations/0015_claims.sql, analytics/claims.go).

-- name: insert-claim
INSERT INTO claims (job, holder, at, expires, version);

-- name: select-claims
-- Each holder's latest write of a job's claim (the row a merge keeps):
-- raw rows, not FINAL, so a claim is seen as soon as its insert returned.
-- args: job
SELECT holder, argMax(at, version), argMax(expires, version), max(version)
FROM claims
WHERE job = ?
GROUP BY holder;
