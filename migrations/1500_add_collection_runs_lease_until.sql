-- A running run's lease: the time by which its worker must have finished or renewed it
-- (heartbeat). A run still `running` past its lease was interrupted (the process or Lambda
-- died) and the reaper closes it (lib/collector/reaper.ts).
ALTER TABLE collection_runs ADD COLUMN IF NOT EXISTS lease_until Nullable(DateTime64(3, 'UTC'))
