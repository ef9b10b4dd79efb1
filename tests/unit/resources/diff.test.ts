import { describe, expect, it } from 'vitest';
import {
  type ComparableRow,
  canonicalDecimal,
  comparableFields,
  diffInventory,
  type ResourceState,
} from '../../../lib/resources/diff';

const row = (over: Partial<ComparableRow> = {}): ComparableRow => ({
  resource_type: 'vm',
  name: 'web',
  status: 'running',
  region: 'us-east-1',
  zone: 'us-east-1a',
  sku: 'm5.large',
  vcpus: 2,
  memory_gib: 8,
  gpu_count: 0,
  gpu_model: '',
  hourly_price: '0.0960',
  price_currency: 'USD',
  tags: { team: 'ml' },
  attributes: '{"kind":"ec2_instance","attached_to":["i-1"]}',
  ...over,
});

const state = (id: string, r: ComparableRow, at = '2026-11-20 10:00:00.000'): ResourceState => ({
  resourceId: id,
  resourceType: r.resource_type,
  name: r.name,
  snapshotAt: at,
  fields: comparableFields(r),
});

describe('comparableFields', () => {
  it('flattens tags and top-level attributes, and writes numbers and prices the way ClickHouse prints them', () => {
    expect(comparableFields(row({ vcpus: 0.1, hourly_price: '1.50' }))).toEqual({
      resource_type: 'vm',
      name: 'web',
      status: 'running',
      region: 'us-east-1',
      zone: 'us-east-1a',
      sku: 'm5.large',
      vcpus: '0.1',
      memory_gib: '8',
      gpu_count: '0',
      gpu_model: '',
      hourly_price: '1.5',
      price_currency: 'USD',
      'tags.team': 'ml',
      'attributes.kind': 'ec2_instance',
      'attributes.attached_to': '["i-1"]',
    });
  });

  it.each([
    ['0.0960', '0.096'],
    ['1.0', '1'],
    ['0', '0'],
    ['-0.50', '-0.5'],
    ['007.25', '7.25'],
    ['-0.000', '0'],
  ])('canonicalDecimal(%s) = %s', (input, out) => {
    expect(canonicalDecimal(input)).toBe(out);
  });
});

describe('diffInventory', () => {
  const baseline = new Map([
    ['a', state('a', row())],
    ['b', state('b', row({ name: 'batch' }), '2026-11-20 10:15:00.000')],
  ]);

  it('reports created, modified (field by field) and deleted resources from a complete snapshot', () => {
    const current = new Map([
      ['a', state('a', row({ status: 'stopped', tags: {}, hourly_price: '0.096' }))],
      ['c', state('c', row({ name: 'new' }))],
    ]);
    expect(
      diffInventory({ baseline, current, complete: true, previousSnapshotAt: '2026-11-20 10:15:00.000' }),
    ).toEqual([
      {
        resourceId: 'a',
        resourceType: 'vm',
        name: 'web',
        changeType: 'modified',
        changes: [
          { field: 'status', old_value: 'running', new_value: 'stopped' },
          { field: 'tags.team', old_value: 'ml', new_value: '' },
        ],
        previousSnapshotAt: '2026-11-20 10:00:00.000',
      },
      {
        resourceId: 'c',
        resourceType: 'vm',
        name: 'new',
        changeType: 'created',
        changes: [],
        previousSnapshotAt: '2026-11-20 10:15:00.000',
      },
      {
        resourceId: 'b',
        resourceType: 'vm',
        name: 'batch',
        changeType: 'deleted',
        changes: [],
        previousSnapshotAt: '2026-11-20 10:15:00.000',
      },
    ]);
  });

  it('never reports a deletion from an incomplete snapshot', () => {
    const current = new Map([['a', state('a', row())]]);
    expect(
      diffInventory({ baseline, current, complete: false, previousSnapshotAt: '2026-11-20 10:15:00.000' }),
    ).toEqual([]);
  });

  it('reports a list price change only between two known prices (an unknown price is a failed lookup)', () => {
    const prev = new Map([
      ['a', state('a', row())],
      ['b', state('b', row({ hourly_price: null, price_currency: '' }))],
      ['c', state('c', row())],
    ]);
    const current = new Map([
      ['a', state('a', row({ hourly_price: null, price_currency: '' }))],
      ['b', state('b', row({ hourly_price: '0.2', price_currency: 'USD' }))],
      ['c', state('c', row({ hourly_price: '0.1' }))],
    ]);
    expect(diffInventory({ baseline: prev, current, complete: true, previousSnapshotAt: null })).toEqual([
      {
        resourceId: 'c',
        resourceType: 'vm',
        name: 'web',
        changeType: 'modified',
        changes: [{ field: 'hourly_price', old_value: '0.096', new_value: '0.1' }],
        previousSnapshotAt: '2026-11-20 10:00:00.000',
      },
    ]);
  });
});
