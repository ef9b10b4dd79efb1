-- Which attempt of the job the run record describes: 1 for the first, +1 for each retry
-- after an interruption or an SQS redelivery (same task_id).
ALTER TABLE collection_runs ADD COLUMN IF NOT EXISTS attempt UInt16 DEFAULT 1
