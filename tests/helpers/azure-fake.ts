import type { FakeHandler, FakeReply, RecordedRequest } from './fake-server';
import { fixture, fixtureText } from './fixtures';

export const AZURE_TENANT = '6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
export const AZURE_CLIENT = '9c1e6a2b-0f3d-4e5a-8b7c-2d1e0f9a8b7c';
export const AZURE_SUBSCRIPTION = '3f2b7c9e-8a41-4d6b-9c05-1e2d3f4a5b6c';

/** Whether a request is the client-credentials token request of the Microsoft identity platform. */
export const isTokenRequest = (req: RecordedRequest): boolean =>
  req.path === `/${AZURE_TENANT}/oauth2/v2.0/token`;

/** The ARM resource id a metrics query is for (path before /providers/Microsoft.Insights/metrics). */
export const metricsResource = (req: RecordedRequest): string | undefined =>
  /^(.*)\/providers\/Microsoft\.Insights\/metrics$/i.exec(req.path)?.[1];

/** Whether a request is for the public Retail Prices API (prices.azure.com, redirected here). */
export const isRetailPricesRequest = (req: RecordedRequest): boolean => req.path === '/api/retail/prices';

/** The decoded `$filter` of a Retail Prices request, and the region it asks about. */
export function retailPricesQuery(req: RecordedRequest): { filter: string; region: string | undefined } {
  const filter = req.query.get('$filter') ?? '';
  return { filter, region: /armRegionName eq '([^']+)'/.exec(filter)?.[1] };
}

/**
 * The Retail Prices API: eastus in two pages (the second reached through the first's
 * NextPageLink, `$skip=100`), westeurope in one, any other region knows nothing. Served as
 * text so prices keep their wire digits.
 */
export function retailPrices(req: RecordedRequest): FakeReply {
  const { region } = retailPricesQuery(req);
  const name =
    region === 'eastus'
      ? req.query.get('$skip') === '100'
        ? 'eastus-page-2.json'
        : 'eastus-page-1.json'
      : region === 'westeurope'
        ? 'westeurope.json'
        : 'empty.json';
  return {
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: fixtureText('azure', `retail-prices/${name}`),
  };
}

/**
 * One Azure tenant and subscription as the fixtures describe them: the identity
 * platform's token endpoint (the real ClientSecretCredential logs in through it), and
 * the ARM paths of VMs (two pages by nextLink), resource SKUs per location, managed
 * disks and Azure Monitor metrics. ARM calls without the bearer token are refused.
 * The public Retail Prices API answers without one (`retailPrices`).
 */
export function azureTenant(override?: (req: RecordedRequest) => FakeReply | undefined): FakeHandler {
  return (req) => {
    const o = override?.(req);
    if (o) return o;
    if (isTokenRequest(req)) {
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== AZURE_CLIENT) {
        return { status: 400, body: { error: 'invalid_request' } };
      }
      return { body: fixture('azure', 'login-token.json') };
    }
    if (isRetailPricesRequest(req)) return retailPrices(req);
    const token = fixture<{ access_token: string }>('azure', 'login-token.json').access_token;
    if (req.headers.authorization !== `Bearer ${token}`) {
      return {
        status: 401,
        body: { error: { code: 'AuthenticationFailed', message: 'Authentication failed.' } },
      };
    }
    const sub = `/subscriptions/${AZURE_SUBSCRIPTION}/providers/Microsoft.Compute`;
    if (req.path === `${sub}/virtualMachines`) {
      return { body: fixture('azure', req.query.get('$skiptoken') ? 'vms-page2.json' : 'vms-page1.json') };
    }
    if (req.path === `${sub}/skus`) {
      const location = /location eq '([a-z0-9]+)'/.exec(req.query.get('$filter') ?? '')?.[1];
      return { body: fixture('azure', `resource-skus-${location}.json`) };
    }
    if (req.path === `${sub}/disks`) return { body: fixture('azure', 'disks.json') };
    if (metricsResource(req)) return { body: fixture('azure', 'metrics-vm.json') };
    return { status: 404, body: { error: { code: 'ResourceNotFound', message: `not found: ${req.path}` } } };
  };
}
