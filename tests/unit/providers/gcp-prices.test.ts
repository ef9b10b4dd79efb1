import { describe, expect, it } from 'vitest';
import {
  type ComputeSkuPrice,
  createComputePriceTable,
  type MachineToPrice,
  machineHourlyPrice,
  parseComputeSku,
} from '../../../lib/providers/gcp/prices';

const AMERICAS = ['us-central1', 'us-east1', 'us-west1'];

/** A Cloud Billing Catalog SKU in the shape `listSkus` returns (see tests/fixtures/gcp/billing). */
function sku(
  description: string,
  price: string | string[],
  opts: { usageType?: string; unit?: string; family?: string; regions?: string[]; currency?: string } = {},
) {
  const prices = Array.isArray(price) ? price : [price];
  const unit = opts.unit ?? (/ Ram /.test(description) ? 'GiBy.h' : 'h');
  return {
    skuId: `SKU-${description.length}-${prices.join('/')}`,
    description,
    category: {
      serviceDisplayName: 'Compute Engine',
      resourceFamily: opts.family ?? 'Compute',
      resourceGroup: 'CPU',
      usageType: opts.usageType ?? (/Preemptible/.test(description) ? 'Preemptible' : 'OnDemand'),
    },
    serviceRegions: opts.regions ?? AMERICAS,
    pricingInfo: [
      {
        pricingExpression: {
          usageUnit: unit,
          tieredRates: prices.map((p, i) => {
            const [units, frac = ''] = p.split('.');
            return {
              startUsageAmount: i * 730,
              unitPrice: {
                currencyCode: opts.currency ?? 'USD',
                units,
                nanos: Number(frac.padEnd(9, '0')),
              },
            };
          }),
        },
      },
    ],
  };
}

describe('parseComputeSku', () => {
  it.each([
    [
      'an on-demand core',
      sku('N2 Instance Core running in Americas', '0.031611'),
      { usage: 'OnDemand', component: 'core', subject: 'n2 instance', unitPrice: '0.031611' },
    ],
    [
      'a Spot RAM SKU (the prefix is not part of the family stem)',
      sku('Spot Preemptible N2 Instance Ram running in Americas', '0.001026'),
      { usage: 'Preemptible', component: 'ram', subject: 'n2 instance', unitPrice: '0.001026' },
    ],
    [
      'the older "Preemptible" spelling',
      sku('Preemptible N1 Predefined Instance Core running in Americas', '0.006655'),
      { usage: 'Preemptible', component: 'core', subject: 'n1 predefined instance', unitPrice: '0.006655' },
    ],
    [
      'a GPU, named like its accelerator type',
      sku('Nvidia A100 80GB GPU running in Americas', '3.92735'),
      { usage: 'OnDemand', component: 'gpu', subject: 'nvidia-a100-80gb', unitPrice: '3.92735' },
    ],
    [
      'a GPU attached to Spot VMs',
      sku('Nvidia L4 GPU attached to Spot Preemptible VMs running in Americas', '0.2239'),
      { usage: 'Preemptible', component: 'gpu', subject: 'nvidia-l4', unitPrice: '0.2239' },
    ],
    [
      'units and nanos together',
      sku('Nvidia Tesla A100 GPU running in Americas', '2.933908'),
      { component: 'gpu', subject: 'nvidia-tesla-a100', unitPrice: '2.933908' },
    ],
    [
      'a free first tier before the one price',
      sku('E2 Instance Core running in Americas', ['0', '0.021811']),
      { subject: 'e2 instance', unitPrice: '0.021811' },
    ],
    [
      'two distinct non-zero tiers (no single price)',
      sku('C3 Instance Core running in Americas', ['0.03465', '0.0312']),
      { subject: 'c3 instance', unitPrice: undefined },
    ],
    [
      'RAM not priced per GiB-hour',
      sku('N2 Instance Ram running in Americas', '0.004237', { unit: 'h' }),
      { component: 'ram', unitPrice: undefined },
    ],
    [
      'a price in another currency than asked',
      sku('N2 Instance Core running in Americas', '0.029', { currency: 'EUR' }),
      { unitPrice: undefined },
    ],
  ])('reads %s', (_name, input, expected) => {
    expect(parseComputeSku(input, 'USD')).toMatchObject(expected);
  });

  it.each([
    [
      'a 1-year commitment',
      sku('Commitment v1: N2 Cpu in Americas for 1 Year', '0.019915', { usageType: 'Commit1Yr' }),
    ],
    ['a disk', sku('Balanced PD Capacity in Americas', '0.1', { family: 'Storage', unit: 'GiBy.mo' })],
    ['a licence', sku('Licensing Fee for Windows Server 2022 Datacenter Edition (CPU cost)', '0.046')],
    ['an f1-micro instance SKU', sku('Micro Instance with burstable CPU running in Americas', '0.0076')],
    [
      'an on-demand SKU described as Spot',
      sku('Spot Preemptible N2 Instance Core running in Americas', '0.007653', { usageType: 'OnDemand' }),
    ],
  ])('ignores %s', (_name, input) => {
    expect(parseComputeSku(input, 'USD')).toBeUndefined();
  });
});

describe('machineHourlyPrice', () => {
  const skus = [
    sku('N1 Predefined Instance Core running in Americas', '0.031611'),
    sku('N1 Predefined Instance Ram running in Americas', '0.004237'),
    sku('Custom Instance Core running in Americas', '0.033174'),
    sku('Custom Instance Ram running in Americas', '0.004446'),
    sku('N2 Instance Core running in Americas', '0.031611'),
    sku('N2 Instance Ram running in Americas', '0.004237'),
    sku('N2 Custom Instance Core running in Americas', '0.033191'),
    sku('N2 Custom Instance Ram running in Americas', '0.004449'),
    sku('Spot Preemptible N2 Instance Core running in Americas', '0.007653'),
    sku('Spot Preemptible N2 Instance Ram running in Americas', '0.001026'),
    sku('E2 Instance Core running in Americas', '0.021811'),
    sku('E2 Instance Ram running in Americas', '0.002923'),
    sku('Compute optimized Core running in Americas', '0.03398'),
    sku('Compute optimized Ram running in Americas', '0.00455'),
    sku('Nvidia Tesla T4 GPU running in Americas', '0.35'),
    // Two C3 core SKUs both cover us-central1: ambiguous.
    sku('C3 Instance Core running in Americas', '0.03465'),
    sku('C3 Instance Core running in Iowa', '0.0347', { regions: ['us-central1'] }),
    sku('C3 Instance Ram running in Americas', '0.003938'),
  ]
    .map((s) => parseComputeSku(s, 'USD'))
    .filter((s): s is ComputeSkuPrice => s !== undefined);
  const table = createComputePriceTable(skus, 'USD');
  const machine = (m: Partial<MachineToPrice>): MachineToPrice => ({
    machineType: 'n2-standard-8',
    region: 'us-central1',
    vcpus: 8,
    memoryMb: 32768,
    sharedCpu: false,
    gpus: [],
    spot: false,
    ...m,
  });

  it.each([
    // 8 × 0.031611 + 32 × 0.004237 = 0.252888 + 0.135584
    ['a predefined N2', machine({}), '0.388472'],
    // 8 × 0.007653 + 32 × 0.001026 = 0.061224 + 0.032832
    ['a Spot N2 at the Preemptible SKUs', machine({ spot: true }), '0.094056'],
    // 4 × 0.031611 + 15 × 0.004237 + 1 × 0.35 = 0.126444 + 0.063555 + 0.35
    [
      'an N1 with an attached T4 ("N1 Predefined" SKUs)',
      machine({
        machineType: 'n1-standard-4',
        vcpus: 4,
        memoryMb: 15360,
        gpus: [{ model: 'nvidia-tesla-t4', count: 1 }],
      }),
      '0.539999',
    ],
    // 2 × 0.033174 + 7.5 × 0.004446 = 0.066348 + 0.033345
    [
      'an N1 custom type ("Custom Instance" SKUs)',
      machine({ machineType: 'custom-2-7680', vcpus: 2, memoryMb: 7680 }),
      '0.099693',
    ],
    // 4 × 0.033191 + 16 × 0.004449 = 0.132764 + 0.071184
    [
      'an N2 custom type',
      machine({ machineType: 'n2-custom-4-16384', vcpus: 4, memoryMb: 16384 }),
      '0.203948',
    ],
    // 0.25 × 0.021811 + 1 × 0.002923 = 0.00545275 + 0.002923
    [
      'a shared-core e2-micro at a quarter vCPU',
      machine({ machineType: 'e2-micro', vcpus: 2, memoryMb: 1024, sharedCpu: true }),
      '0.00837575',
    ],
    // 4 × 0.03398 + 16 × 0.00455 = 0.13592 + 0.0728
    [
      'a C2 ("Compute optimized" SKUs)',
      machine({ machineType: 'c2-standard-4', vcpus: 4, memoryMb: 16384 }),
      '0.20872',
    ],
  ])('prices %s', (_name, m, expected) => {
    expect(machineHourlyPrice(table, m)).toBe(expected);
  });

  it.each([
    ['a family without SKUs', machine({ machineType: 'z3-highmem-88', vcpus: 88, memoryMb: 720896 })],
    ['a region without SKUs', machine({ region: 'asia-east1' })],
    ['a region two SKUs claim', machine({ machineType: 'c3-standard-4', vcpus: 4, memoryMb: 16384 })],
    ['a GPU without a SKU', machine({ gpus: [{ model: 'nvidia-h100-80gb', count: 8 }] })],
    [
      'a Spot VM whose GPU has only an on-demand SKU',
      machine({ spot: true, gpus: [{ model: 'nvidia-tesla-t4', count: 1 }] }),
    ],
    [
      'g1-small (billed per instance)',
      machine({ machineType: 'g1-small', vcpus: 1, memoryMb: 1740, sharedCpu: true }),
    ],
    [
      'a custom type with extended memory',
      machine({ machineType: 'n2-custom-2-32768-ext', vcpus: 2, memoryMb: 32768 }),
    ],
    ['a machine whose shape is unknown', machine({ vcpus: null })],
  ])('leaves unpriced %s', (_name, m) => {
    expect(machineHourlyPrice(table, m)).toBeUndefined();
  });
});
