-- Every change to a connection made through the API, and every connection test: who (key
-- id), what (action and changed field names — never values), when. Tests also keep their
-- outcome (ok, latency, the provider's message with secrets redacted).
CREATE TABLE IF NOT EXISTS connection_events
(
    customer_id    String,
    connection_id  String,
    event_id       String,
    at             DateTime64(3, 'UTC'),
    key_id         String,
    action         LowCardinality(String),
    fields         Array(String),
    ok             Nullable(UInt8),
    latency_ms     Nullable(UInt32),
    message        String
)
-- Replacing on the event id: a retried insert of the same event is kept once.
ENGINE = ReplacingMergeTree
ORDER BY (customer_id, connection_id, at, event_id)
