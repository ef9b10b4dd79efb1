import { describe, expect, it } from 'vitest';
import { ec2PriceKey, onDemandHourlyUsd, rdsPriceKey } from '../../../lib/providers/aws/prices';

const product = (dimensions: Record<string, { unit: string; pricePerUnit: Record<string, string> }>) => ({
  product: { attributes: {} },
  terms: { OnDemand: { 'SKU.JRTCKXETXF': { priceDimensions: dimensions } } },
});

describe('EC2 and RDS price keys', () => {
  it('prices an instance by its usage operation (platform) and tenancy', () => {
    expect(ec2PriceKey({ PlatformDetails: 'Linux/UNIX' })).toBe('RunInstances|Shared');
    expect(ec2PriceKey({ PlatformDetails: 'Windows', Placement: { Tenancy: 'dedicated' } })).toBe(
      'RunInstances:0002|Dedicated',
    );
    // The instance's own UsageOperation wins (Windows with SQL Server Standard here).
    expect(
      ec2PriceKey({
        UsageOperation: 'RunInstances:0006',
        PlatformDetails: 'Windows with SQL Server Standard',
      }),
    ).toBe('RunInstances:0006|Shared');
    // Dedicated Hosts are billed per host; an unknown platform has no known operation.
    expect(ec2PriceKey({ PlatformDetails: 'Linux/UNIX', Placement: { Tenancy: 'host' } })).toBeUndefined();
    expect(ec2PriceKey({ PlatformDetails: 'Windows BYOL' })).toBeUndefined();
  });

  it('prices a database by engine and deployment, and not engines with several licence models', () => {
    expect(rdsPriceKey({ Engine: 'postgres', MultiAZ: true })).toBe('PostgreSQL|Multi-AZ');
    expect(rdsPriceKey({ Engine: 'mysql', MultiAZ: false })).toBe('MySQL|Single-AZ');
    expect(rdsPriceKey({ Engine: 'oracle-ee', MultiAZ: false })).toBeUndefined();
    expect(rdsPriceKey({ Engine: 'aurora-postgresql' })).toBeUndefined();
  });
});

describe('onDemandHourlyUsd', () => {
  it('reads the one hourly USD dimension of the one on-demand term, exactly', () => {
    expect(onDemandHourlyUsd(product({ a: { unit: 'Hrs', pricePerUnit: { USD: '0.0960000000' } } }))).toBe(
      '0.096',
    );
  });

  it('knows no price when the product has no single hourly USD rate', () => {
    expect(onDemandHourlyUsd({ product: { attributes: {} }, terms: {} })).toBeUndefined();
    expect(
      onDemandHourlyUsd(
        product({
          a: { unit: 'Hrs', pricePerUnit: { USD: '0.1' } },
          b: { unit: 'Hrs', pricePerUnit: { USD: '0.2' } },
        }),
      ),
    ).toBeUndefined();
    expect(
      onDemandHourlyUsd(product({ a: { unit: 'Quantity', pricePerUnit: { USD: '504' } } })),
    ).toBeUndefined();
    expect(onDemandHourlyUsd(product({ a: { unit: 'Hrs', pricePerUnit: { CNY: '0.7' } } }))).toBeUndefined();
  });
});
