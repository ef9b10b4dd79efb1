-- How many runs have asked the judge about this sample without getting a valid verdict.
-- An unevaluated sample is retried while attempts < JUDGE_MAX_ATTEMPTS, then left
-- unevaluated (with its last error) instead of being retried forever or scored 0.
ALTER TABLE application_evaluations ADD COLUMN IF NOT EXISTS attempts UInt16 DEFAULT 0
