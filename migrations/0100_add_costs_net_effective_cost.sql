-- Effective cost after negotiated discounts and credits where the provider reports it
-- separately (AWS Cost Explorer NetAmortizedCost). NULL where a provider has no such
-- figure, so that a sum over several providers never mixes in a made-up zero.
ALTER TABLE costs ADD COLUMN IF NOT EXISTS x_net_effective_cost Nullable(Decimal(38, 10)) AFTER contracted_cost
