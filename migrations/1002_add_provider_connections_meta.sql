-- API-made connections' display name, who created/changed them (key ids) and when each
-- secret was last set (JSON name -> ISO time; never the secret).
ALTER TABLE provider_connections ADD COLUMN IF NOT EXISTS meta String DEFAULT '{}'
