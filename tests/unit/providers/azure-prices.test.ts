import type { VirtualMachine } from '@azure/arm-compute';
import { describe, expect, it } from 'vitest';
import { parseJsonLossless } from '../../../lib/costs/lossless-json';
import { ProviderParseError } from '../../../lib/errors';
import {
  type AzureVmPriceQuery,
  azureVmBilling,
  currentRetailPrice,
  parseRetailPricesPage,
  type RetailPriceItem,
  rebaseNextPageLink,
  retailPricesFilter,
  retailPricesOrigin,
  retailPricesUrl,
} from '../../../lib/providers/azure/prices';
import { fixtureText } from '../../helpers/fixtures';

const page = (name: string) =>
  parseRetailPricesPage(parseJsonLossless(fixtureText('azure', `retail-prices/${name}`)), 'test');

const EASTUS: RetailPriceItem[] = [...page('eastus-page-1.json').Items, ...page('eastus-page-2.json').Items];
const WESTEUROPE = page('westeurope.json').Items;
const NOW = new Date('2026-11-20T12:02:00Z');

const q = (size: string, os: 'linux' | 'windows', priority: 'regular' | 'spot' | 'low', region = 'eastus') =>
  ({ region, size, os, priority }) satisfies AzureVmPriceQuery;

describe('Azure Retail Prices', () => {
  describe('retailPricesFilter', () => {
    it('asks for the consumption prices of every size in one region, as one OR group', () => {
      expect(retailPricesFilter('eastus', ['Standard_D4s_v5', 'Standard_NC24ads_A100_v4'])).toBe(
        "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and priceType eq 'Consumption' and (armSkuName eq 'Standard_D4s_v5' or armSkuName eq 'Standard_NC24ads_A100_v4')",
      );
    });

    it('doubles quotes inside values, as OData string literals require', () => {
      expect(retailPricesFilter("east'us", ["a'b"])).toContain("armRegionName eq 'east''us'");
      expect(retailPricesFilter("east'us", ["a'b"])).toContain("(armSkuName eq 'a''b')");
    });
  });

  describe('retailPricesUrl', () => {
    it('percent-encodes the filter (spaces as %20, never +) after the API version and currency', () => {
      const url = retailPricesUrl('https://prices.azure.com', 'eastus', ['Standard_D4s_v5']);
      expect(url).toBe(
        "https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview&currencyCode='USD'&$filter=serviceName%20eq%20'Virtual%20Machines'%20and%20armRegionName%20eq%20'eastus'%20and%20priceType%20eq%20'Consumption'%20and%20(armSkuName%20eq%20'Standard_D4s_v5')",
      );
      expect(new URL(url).searchParams.get('$filter')).toBe(
        retailPricesFilter('eastus', ['Standard_D4s_v5']),
      );
    });
  });

  describe('rebaseNextPageLink / retailPricesOrigin', () => {
    it('sends a NextPageLink to the configured origin, keeping its path and query', () => {
      const link =
        "https://prices.azure.com:443/api/retail/prices?api-version=2023-01-01-preview&$filter=armRegionName eq 'eastus'&$skip=100";
      const rebased = new URL(rebaseNextPageLink(link, 'http://127.0.0.1:4321'));
      expect(rebased.origin).toBe('http://127.0.0.1:4321');
      expect(rebased.pathname).toBe('/api/retail/prices');
      expect(rebased.searchParams.get('$filter')).toBe("armRegionName eq 'eastus'");
      expect(rebased.searchParams.get('$skip')).toBe('100');
    });

    it('uses prices.azure.com unless the connection has a test endpoint', () => {
      expect(retailPricesOrigin(undefined)).toBe('https://prices.azure.com');
      expect(retailPricesOrigin('http://127.0.0.1:4321/some/path')).toBe('http://127.0.0.1:4321');
    });
  });

  describe('parseRetailPricesPage', () => {
    it('keeps each price as the decimal text of the wire', () => {
      const first = page('eastus-page-1.json');
      expect(first.Items[0]).toMatchObject({
        retailPrice: '0.192',
        tierMinimumUnits: '0',
        effectiveStartDate: new Date('2022-06-01T00:00:00Z'),
      });
      expect(first.NextPageLink).toMatch(/&\$skip=100$/);
    });

    it('does not round a price through a double', () => {
      const doc = parseJsonLossless(
        fixtureText('azure', 'retail-prices/westeurope.json').replace(
          '"retailPrice": 0.598',
          '"retailPrice": 0.59800000004999999999',
        ),
      );
      const items = parseRetailPricesPage(doc, 'test').Items;
      // A double would read 0.59800000005 and round up to 0.5980000001.
      expect(items.find((i) => i.retailPrice.startsWith('0.598'))?.retailPrice).toBe('0.598');
    });

    it.each([
      [
        'a price that is text',
        '"retailPrice": 0.192',
        '"retailPrice": "0.192"',
        /Items\.0\.retailPrice: expected a JSON number/,
      ],
      [
        'a missing effectiveStartDate',
        '"effectiveStartDate": "2022-06-01T00:00:00Z",',
        '',
        /Items\.0\.effectiveStartDate/,
      ],
      [
        'an unreadable date',
        '"2022-06-01T00:00:00Z"',
        '"soon"',
        /Items\.0\.effectiveStartDate: not a timestamp/,
      ],
      ['Items that is not a list', '"Items": [', '"Items": "none", "Rows": [', /at Items: /],
    ])('rejects %s as a ProviderParseError naming the field', (_name, from, to, message) => {
      const broken = fixtureText('azure', 'retail-prices/eastus-page-1.json').replace(from, to);
      const parse = () => parseRetailPricesPage(parseJsonLossless(broken), 'azure:retail-prices eastus');
      expect(parse).toThrow(ProviderParseError);
      expect(parse).toThrow(message);
    });
  });

  describe('currentRetailPrice', () => {
    it.each([
      [
        'Linux pay-as-you-go: the Linux item in effect, not the announced future one',
        q('Standard_D4s_v5', 'linux', 'regular'),
        '0.192',
      ],
      [
        'Windows: the "… Windows" product, not the DevTest item',
        q('Standard_D4s_v5', 'windows', 'regular'),
        '0.376',
      ],
      [
        'Spot Linux: the newest Spot item, not the superseded one',
        q('Standard_NC24ads_A100_v4', 'linux', 'spot'),
        '1.10187',
      ],
      ['Spot Windows', q('Standard_NC24ads_A100_v4', 'windows', 'spot'), '1.28557'],
      ['Low priority Linux', q('Standard_D4s_v5', 'linux', 'low'), '0.0384'],
      ['a size spelled in another case', q('standard_d4s_v5', 'linux', 'regular'), '0.192'],
      ['a size the API does not know', q('Standard_E2s_v5', 'linux', 'regular'), null],
      ['a region the items are not for', q('Standard_D4s_v5', 'linux', 'regular', 'westeurope'), null],
    ])('%s', (_name, query, expected) => {
      expect(currentRetailPrice(EASTUS, query, NOW)).toBe(expected);
    });

    it('takes the newest item already in effect (superseded 0.526 → 0.598)', () => {
      expect(
        currentRetailPrice(WESTEUROPE, q('Standard_NC4as_T4_v3', 'linux', 'regular', 'westeurope'), NOW),
      ).toBe('0.598');
      const before = new Date('2022-01-01T00:00:00Z');
      expect(
        currentRetailPrice(WESTEUROPE, q('Standard_NC4as_T4_v3', 'linux', 'regular', 'westeurope'), before),
      ).toBe('0.526');
    });

    it('switches to an announced price once its effectiveStartDate has come', () => {
      const later = new Date('2027-01-01T00:00:00Z');
      expect(currentRetailPrice(EASTUS, q('Standard_D4s_v5', 'linux', 'regular'), later)).toBe('0.2016');
    });

    it('ignores items that are not hourly, not tier 0 or not in USD', () => {
      const base = EASTUS[0] as RetailPriceItem;
      const items: RetailPriceItem[] = [
        { ...base, retailPrice: '140.16', unitOfMeasure: '1/Month' },
        { ...base, retailPrice: '0.15', tierMinimumUnits: '1000' },
        { ...base, retailPrice: '0.18', currencyCode: 'EUR' },
      ];
      expect(currentRetailPrice(items, q('Standard_D4s_v5', 'linux', 'regular'), NOW)).toBeNull();
    });

    it('prefers the primary meter, and knows no price when equally current items disagree', () => {
      const base = EASTUS[0] as RetailPriceItem;
      const secondary = { ...base, retailPrice: '0.2', isPrimaryMeterRegion: false };
      expect(currentRetailPrice([secondary, base], q('Standard_D4s_v5', 'linux', 'regular'), NOW)).toBe(
        '0.192',
      );
      expect(currentRetailPrice([secondary], q('Standard_D4s_v5', 'linux', 'regular'), NOW)).toBe('0.2');
      const rival = { ...base, retailPrice: '0.2' };
      expect(currentRetailPrice([base, rival], q('Standard_D4s_v5', 'linux', 'regular'), NOW)).toBeNull();
      expect(currentRetailPrice([base, { ...base }], q('Standard_D4s_v5', 'linux', 'regular'), NOW)).toBe(
        '0.192',
      );
    });
  });

  describe('azureVmBilling', () => {
    const vm = (v: Partial<VirtualMachine> & { osType?: 'Linux' | 'Windows' }): VirtualMachine => ({
      location: 'eastus',
      ...v,
      ...(v.osType ? { storageProfile: { osDisk: { osType: v.osType, createOption: 'FromImage' } } } : {}),
    });

    it.each([
      ['a Linux VM', vm({ osType: 'Linux' }), { os: 'linux', priority: 'regular' }],
      ['a Windows VM', vm({ osType: 'Windows' }), { os: 'windows', priority: 'regular' }],
      [
        'a Windows Server VM with Azure Hybrid Benefit (base rate)',
        vm({ osType: 'Windows', licenseType: 'Windows_Server' }),
        { os: 'linux', priority: 'regular' },
      ],
      [
        'a Windows client VM with multi-tenant hosting rights (base rate)',
        vm({ osType: 'Windows', licenseType: 'Windows_Client' }),
        { os: 'linux', priority: 'regular' },
      ],
      ['a Spot VM', vm({ osType: 'Linux', priority: 'Spot' }), { os: 'linux', priority: 'spot' }],
      ['a Low priority VM', vm({ osType: 'Windows', priority: 'Low' }), { os: 'windows', priority: 'low' }],
      ['a VM whose OS is not reported', vm({}), undefined],
    ])('%s', (_name, input, expected) => {
      expect(azureVmBilling(input)).toEqual(expected);
    });
  });
});
