-- Cost line items in FinOps FOCUS 1.2 shape (snake_case column names), one row per
-- provider fact. Re-collecting a window inserts the same natural key again with a higher
-- x_version; queries read with FINAL so the latest figure wins and a restated day is never
-- counted twice. A fact that disappears on restatement is written once more with
-- x_is_deleted = 1 so FINAL drops it.
CREATE TABLE IF NOT EXISTS costs
(
    x_customer_id         String,
    x_provider            LowCardinality(String),
    x_connection_id       String,
    billing_account_id    String,
    billing_account_name  String,
    sub_account_id        String,
    sub_account_name      String,
    provider_name         LowCardinality(String),
    invoice_issuer_name   LowCardinality(String),
    service_name          LowCardinality(String),
    service_category      LowCardinality(String),
    charge_category       LowCardinality(String),
    charge_class          LowCardinality(String),
    charge_description    String,
    charge_frequency      LowCardinality(String),
    resource_id           String,
    resource_name         String,
    resource_type         LowCardinality(String),
    region_id             LowCardinality(String),
    region_name           LowCardinality(String),
    availability_zone     LowCardinality(String),
    sku_id                String,
    sku_price_id          String,
    pricing_category      LowCardinality(String),
    pricing_quantity      Decimal(38, 10),
    pricing_unit          LowCardinality(String),
    consumed_quantity     Decimal(38, 10),
    consumed_unit         LowCardinality(String),
    billed_cost           Decimal(38, 10),
    effective_cost        Decimal(38, 10),
    list_cost             Decimal(38, 10),
    contracted_cost       Decimal(38, 10),
    billing_currency      LowCardinality(String),
    charge_period_start   DateTime('UTC'),
    charge_period_end     DateTime('UTC'),
    billing_period_start  DateTime('UTC'),
    billing_period_end    DateTime('UTC'),
    tags                  Map(String, String),
    x_line_key            String,
    x_task_id             String,
    x_collected_at        DateTime64(3, 'UTC'),
    x_version             UInt64,
    x_is_deleted          UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(x_version, x_is_deleted)
PARTITION BY toYYYYMM(charge_period_start)
ORDER BY (x_customer_id, x_provider, charge_period_start, billing_account_id, sub_account_id, service_name,
          resource_id, sku_id, region_id, charge_category, charge_class, billing_currency, x_line_key)
SETTINGS non_replicated_deduplication_window = 1000
