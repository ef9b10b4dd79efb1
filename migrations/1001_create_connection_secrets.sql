-- The embedded secret store (npm start): one envelope-encrypted (AES-256-GCM) secret per
-- name; the key that opens it lives outside ClickHouse (master-key file or variable).
CREATE TABLE IF NOT EXISTS connection_secrets
(
    name        String,
    ciphertext  String,
    updated_at  DateTime64(3, 'UTC'),
    version     UInt64,
    is_deleted  UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY name
