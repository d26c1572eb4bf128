-- Churn records: the customers known to have left, imported by a manager
-- (POST /api/v1/churn, heed churn import) so that reports can link what
-- customers answered to whether they left (select-churn-report).
--
-- One entity, one sort key: customer is the respondent id the answers carry
-- (the record's respondent, or the contact id of its email), and it is the
-- whole sort key, so every row of a customer folds into one in a merge or
-- FINAL. The version is the time of the write in nanoseconds: the last
-- write about a customer wins, an import that changes churned_at or a
-- withdrawal (withdrawn = 1, a tombstone) alike; readers take the row of
-- the highest version (FINAL, or argMax(..., version)) and skip customers
-- whose last row is a tombstone.
-- The table is small (customers who left, not answers), so reading it
-- whole for a report is cheap.
CREATE TABLE IF NOT EXISTS churn (
    customer String,
    version UInt64,
    withdrawn UInt8,
    email String,
    churned_at DateTime('UTC'),
    reason String,
    revenue Float64,
    has_revenue UInt8,
    updated_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY customer;

-- Each customer's last answer to each survey, for the churn report: fed by
-- the view below in the same insert as the answers, one sort key per
-- (survey, respondent), so a merge or FINAL keeps the row of the highest
-- version: the customer's latest confirmed answer, else their latest
-- unconfirmed one. That row is always the counting answer of its response
-- (the highest version of the customer's rows is the highest of its
-- response's). A report reads one row per customer here instead of every
-- answer: 10 M responses of 1 M customers are 1 M rows. Only answers
-- with a respondent: an anonymous answer cannot be linked to churn.
CREATE TABLE IF NOT EXISTS answer_customers (
    survey_id String,
    respondent String,
    version UInt64,
    score UInt8,
    reasons Array(String)
) ENGINE = ReplacingMergeTree(version)
ORDER BY (survey_id, respondent);

CREATE MATERIALIZED VIEW IF NOT EXISTS answer_customers_mv TO answer_customers
AS SELECT survey_id, respondent, version, score, reasons FROM answers WHERE respondent != '';

-- The answers stored before this migration (after the view exists, so
-- none written meanwhile is missed). Run again after a crash, it inserts
-- the same rows again, which fold away.
INSERT INTO answer_customers (survey_id, respondent, version, score, reasons)
SELECT survey_id, respondent, version, score, reasons FROM answers WHERE respondent != '';
