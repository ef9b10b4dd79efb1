import { CostManagementClient, type QueryDefinition } from '@azure/arm-costmanagement';
import { createHttpHeaders, createPipelineRequest, type HttpHeaders } from '@azure/core-rest-pipeline';
import { parseRetryAfter } from '../../collector/retry';
import type { CollectContext, Connection } from '../../collector/types';
import { addDecimals, DecimalFormatError, normalizeDecimal } from '../../costs/decimal';
import {
  isObject,
  JsonSyntaxError,
  type LosslessValue,
  numberText,
  parseJsonLossless,
} from '../../costs/lossless-json';
import { billingMonth, parseDay, utcDays } from '../../costs/periods';
import {
  ProviderAuthError,
  ProviderError,
  ProviderParseError,
  ProviderRateLimitError,
  ProviderUnavailableError,
} from '../../errors';
import type { CostRowInput } from '../../schemas/rows';
import { DAY_MS } from '../../time';
import { azureClientOptions, azureCredential } from './clients';
import type { AzureSettings } from './config';

/** Call name in logs and errors. The Query API is free (QPU-limited), so it is not metered as billable. */
export const AZURE_COST_QUERY = 'azure:query';
const COST_TYPES = ['ActualCost', 'AmortizedCost'] as const;
type CostType = (typeof COST_TYPES)[number];
const MAX_PAGES = 2000;

/**
 * Headers that carry a wait on a Cost Management 429. Real answers have carried several at
 * once (QPU, entity, tenant, client type); the longest wins.
 */
const RETRY_HEADERS_SECONDS = [
  'retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-entity-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-clienttype-retry-after',
];
const RETRY_HEADERS_MS = ['retry-after-ms', 'x-ms-retry-after-ms'];

/** The longest wait any retry header asks for, in ms. */
export function azureRetryAfterMs(headers: Pick<HttpHeaders, 'get'> | undefined): number | undefined {
  if (!headers) return undefined;
  const waits: number[] = [];
  for (const h of RETRY_HEADERS_SECONDS) {
    const ms = parseRetryAfter(headers.get(h));
    if (ms !== undefined) waits.push(ms);
  }
  for (const h of RETRY_HEADERS_MS) {
    const v = Number(headers.get(h));
    if (headers.get(h) !== undefined && Number.isFinite(v)) waits.push(v);
  }
  return waits.length ? Math.max(...waits) : undefined;
}

function azureErrorText(body: string | undefined): string {
  if (!body) return '';
  try {
    const e = (JSON.parse(body) as { error?: { code?: string; message?: string } }).error;
    if (e?.message) return `${e.code ? `${e.code}: ` : ''}${e.message}`;
  } catch {
    // not JSON
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** An HTTP failure of a Cost Management call, as our error classes. */
export function azureHttpError(
  call: string,
  status: number,
  headers: Pick<HttpHeaders, 'get'> | undefined,
  detail: string,
): ProviderError {
  const message = `${call}: HTTP ${status}${detail ? ` ${detail}` : ''}`;
  if (status === 401 || status === 403) return new ProviderAuthError('azure', message);
  if (status === 429) return new ProviderRateLimitError('azure', message, azureRetryAfterMs(headers));
  if (status === 408 || status >= 500) return new ProviderUnavailableError('azure', message);
  return new ProviderError('azure', 'request_failed', message, false);
}

/** Errors of the Azure SDK (RestError, identity's credential errors) as our error classes. */
export function classifyAzureError(err: unknown, call: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as {
    name?: string;
    message?: string;
    code?: string;
    statusCode?: number;
    response?: { headers?: HttpHeaders; bodyAsText?: string | null };
  };
  if (
    e.name === 'AuthenticationError' ||
    e.name === 'AuthenticationRequiredError' ||
    e.name === 'CredentialUnavailableError'
  ) {
    return new ProviderAuthError(
      'azure',
      `${call}: token request failed: ${tokenErrorText(e.message ?? '')}`,
      { cause: err },
    );
  }
  if (e.name === 'RestError' && typeof e.statusCode === 'number') {
    const detail = azureErrorText(e.response?.bodyAsText ?? undefined) || e.message || '';
    const mapped = azureHttpError(call, e.statusCode, e.response?.headers, detail);
    return Object.assign(mapped, { cause: err });
  }
  if (
    e.name === 'RestError' ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'REQUEST_SEND_ERROR'].includes(e.code ?? '')
  ) {
    return new ProviderUnavailableError('azure', `${call}: ${e.message ?? 'network error'}`, { cause: err });
  }
  return new ProviderError('azure', 'request_failed', `${call}: ${e.message ?? String(err)}`, false, {
    cause: err,
  });
}

/**
 * MSAL's message ("invalid_client: Error(s): 7000215 - Timestamp: … - Description: AADSTS7000215:
 * Invalid client secret provided. … Trace ID: … - Correlation ID: …") as its code and the
 * description's first part, without trace ids and timestamps.
 */
function tokenErrorText(message: string): string {
  const code = /^([a-z_]+):/.exec(message)?.[1];
  const description = /Description: (.*?)(?: Trace ID:| - Correlation ID:| - Trace ID:|$)/s
    .exec(message)?.[1]
    ?.trim();
  if (description) return `${code ? `${code}: ` : ''}${description}`;
  return message.split(' - Timestamp')[0]?.trim() ?? message;
}

/** One row of a Cost Management query result. */
export interface AzureCostFact {
  day: Date;
  resourceId: string;
  serviceName: string;
  currency: string;
  cost: string;
}

interface QueryPage {
  nextLink: string | null;
  facts: AzureCostFact[];
}

/**
 * Reads a query result page from the response text, keeping Cost as the decimal the wire
 * carried. Rows are positional: columns are found by name (`Cost` or, for legacy offers,
 * `PreTaxCost`; `UsageDate` as yyyymmdd; `ResourceId`, `ServiceName`, `Currency`).
 * Pure; anything unexpected is a ProviderParseError naming where.
 */
export function parseQueryPage(text: string, call: string): QueryPage {
  const fail = (where: string, problem: string): never => {
    throw new ProviderParseError('azure', `${call}: malformed response: ${where} ${problem}`);
  };
  if (text.trim() === '') return { nextLink: null, facts: [] };
  let doc: LosslessValue;
  try {
    doc = parseJsonLossless(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError)
      throw new ProviderParseError('azure', `${call}: response is not valid JSON (${err.message})`);
    throw err;
  }
  const props =
    isObject(doc) && isObject(doc.properties)
      ? doc.properties
      : isObject(doc)
        ? doc
        : fail('body', 'is not an object');
  const columns = props.columns;
  const rows = props.rows;
  if (!Array.isArray(columns)) fail('properties.columns', 'is missing');
  if (!Array.isArray(rows)) fail('properties.rows', 'is missing');
  const names = (columns as LosslessValue[]).map((c) =>
    isObject(c) && typeof c.name === 'string' ? c.name : '',
  );
  const col = (...candidates: string[]) => {
    for (const c of candidates) {
      const i = names.indexOf(c);
      if (i >= 0) return i;
    }
    return fail(
      'properties.columns',
      `has no ${candidates.join(' or ')} column (columns: ${names.join(', ')})`,
    );
  };
  const iCost = col('Cost', 'PreTaxCost');
  const iDate = col('UsageDate');
  const iCurrency = col('Currency');
  const iResource = col('ResourceId');
  const iService = col('ServiceName');
  const facts = (rows as LosslessValue[]).map((r, n) => {
    const at = `properties.rows[${n}]`;
    if (!Array.isArray(r)) return fail(at, 'is not an array');
    const costText = numberText(r[iCost]);
    if (costText === undefined)
      return fail(`${at}[${iCost}] (${names[iCost]})`, `is not a number: ${JSON.stringify(r[iCost])}`);
    let cost: string;
    try {
      cost = normalizeDecimal(costText);
    } catch (err) {
      if (err instanceof DecimalFormatError) return fail(`${at}[${iCost}]`, `is not a decimal: ${costText}`);
      throw err;
    }
    const day = parseDay(numberText(r[iDate]) ?? String(r[iDate] ?? ''));
    if (!day)
      return fail(`${at}[${iDate}] (UsageDate)`, `is not a yyyymmdd date: ${JSON.stringify(r[iDate])}`);
    const currency = r[iCurrency];
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
      return fail(`${at}[${iCurrency}] (Currency)`, `is not a currency code: ${JSON.stringify(currency)}`);
    }
    const resourceId = r[iResource];
    const serviceName = r[iService];
    return {
      day,
      resourceId: typeof resourceId === 'string' ? resourceId : '',
      serviceName: typeof serviceName === 'string' ? serviceName : '',
      currency,
      cost,
    };
  });
  const next = props.nextLink;
  return { nextLink: typeof next === 'string' && next !== '' ? next : null, facts };
}

/** `/subscriptions/{id}/resourceGroups/{rg}/providers/{ns}/{type}/{name}` → its parts (case-insensitive). */
export function parseResourceId(id: string): {
  subscription: string;
  resourceGroup: string;
  type: string;
  name: string;
} {
  const sub = /\/subscriptions\/([^/]+)/i.exec(id)?.[1] ?? '';
  const rg = /\/resourcegroups\/([^/]+)/i.exec(id)?.[1] ?? '';
  const provider = /\/providers\/([^/]+)\/([^/]+)\/([^/]+)/i.exec(id);
  return {
    subscription: sub,
    resourceGroup: rg,
    type: provider ? `${provider[1]}/${provider[2]}` : '',
    name: id.split('/').filter(Boolean).at(-1) ?? '',
  };
}

/**
 * All pages of one query: the first through the SDK's `query.usage`, the rest by POSTing
 * the same body to `nextLink` through the client's own pipeline (same credential, same
 * transport), since the SDK has no pager for this operation.
 */
async function* queryPages(
  ctx: CollectContext<AzureSettings>,
  client: CostManagementClient,
  scope: string,
  definition: QueryDefinition,
): AsyncGenerator<AzureCostFact[]> {
  const call = `${AZURE_COST_QUERY} ${definition.type} ${scope}`;
  let body: string | undefined;
  let page = await ctx.retry(AZURE_COST_QUERY, async () => {
    let text = '';
    try {
      await client.query.usage(scope, definition, {
        abortSignal: ctx.signal,
        onResponse: (raw) => {
          text = raw.bodyAsText ?? '';
          body = typeof raw.request.body === 'string' ? raw.request.body : undefined;
        },
      });
    } catch (err) {
      throw classifyAzureError(err, call);
    }
    return parseQueryPage(text, call);
  });
  const seen = new Set<string>();
  for (let n = 0; ; n++) {
    yield page.facts;
    const next = page.nextLink;
    if (!next) return;
    if (n >= MAX_PAGES)
      throw new ProviderError('azure', 'too_many_pages', `${call}: more than ${MAX_PAGES} pages`, false);
    if (seen.has(next)) throw new ProviderParseError('azure', `${call}: nextLink repeats`);
    seen.add(next);
    page = await ctx.retry(AZURE_COST_QUERY, async () => {
      let response: Awaited<ReturnType<CostManagementClient['sendRequest']>>;
      try {
        response = await client.sendRequest(
          createPipelineRequest({
            url: next,
            method: 'POST',
            body: body ?? JSON.stringify(definition),
            headers: createHttpHeaders({ 'content-type': 'application/json', accept: 'application/json' }),
            abortSignal: ctx.signal,
          }),
        );
      } catch (err) {
        throw classifyAzureError(err, call);
      }
      if (response.status >= 400) {
        throw azureHttpError(
          call,
          response.status,
          response.headers,
          azureErrorText(response.bodyAsText ?? undefined),
        );
      }
      return parseQueryPage(response.bodyAsText ?? '', call);
    });
  }
}

export function azureCostDefinition(type: CostType, from: Date, to: Date): QueryDefinition {
  return {
    type,
    timeframe: 'Custom',
    timePeriod: { from, to },
    dataset: {
      granularity: 'Daily',
      aggregation: { totalCost: { name: 'Cost', function: 'Sum' } },
      // At most two groupings: the resource (whose id names its resource group) and the service.
      grouping: [
        { type: 'Dimension', name: 'ResourceId' },
        { type: 'Dimension', name: 'ServiceName' },
      ],
    },
  };
}

/** Cost queries run per subscription unless one scope (billing account, management group) is configured. */
export function azureCostScopes(s: AzureSettings): string[] {
  if (s.cost_scope) return [s.cost_scope.replace(/^\/+/, '')];
  return s.subscription_ids.map((id) => `subscriptions/${id}`);
}

export function createCostManagementClient(conn: Connection<AzureSettings>): CostManagementClient {
  return new CostManagementClient(azureCredential(conn), azureClientOptions(conn));
}

/**
 * Azure cost from the Cost Management Query API: ActualCost (billed) and AmortizedCost
 * (effective), daily, per resource and service, for every UTC day of the window and every
 * scope, following nextLink. A 429 waits as long as the longest retry header says. The
 * days queried are declared complete.
 */
export async function* collectAzureCost(ctx: CollectContext<AzureSettings>): AsyncGenerator<CostRowInput[]> {
  const s = ctx.connection.settings;
  const days = utcDays(ctx.window);
  const client = createCostManagementClient(ctx.connection);
  const to = new Date(days.end.getTime() - 1000);
  for (const scope of azureCostScopes(s)) {
    const joined = new Map<string, { fact: AzureCostFact; actual: string; amortized: string }>();
    for (const type of COST_TYPES) {
      for await (const facts of queryPages(ctx, client, scope, azureCostDefinition(type, days.start, to))) {
        for (const f of facts) {
          const key = `${f.day.getTime()}|${f.resourceId.toLowerCase()}|${f.serviceName}|${f.currency}`;
          const entry = joined.get(key) ?? { fact: f, actual: '0', amortized: '0' };
          if (type === 'ActualCost') entry.actual = addDecimals(entry.actual, f.cost);
          else entry.amortized = addDecimals(entry.amortized, f.cost);
          joined.set(key, entry);
        }
      }
    }
    const scopeSub = /^subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? '';
    const billingAccount = /billingAccounts\/([^/]+)/i.exec(scope)?.[1] ?? '';
    const rows: CostRowInput[] = [];
    for (const { fact, actual, amortized } of joined.values()) {
      const id = parseResourceId(fact.resourceId);
      const month = billingMonth(fact.day);
      rows.push({
        x_customer_id: ctx.customerId,
        x_provider: 'azure',
        x_connection_id: ctx.connection.id,
        billing_account_id: billingAccount,
        sub_account_id: id.subscription || scopeSub,
        provider_name: 'Microsoft',
        invoice_issuer_name: 'Microsoft',
        service_name: fact.serviceName,
        charge_category: 'Usage',
        charge_description: fact.resourceId ? `${fact.serviceName}: ${id.name}` : fact.serviceName,
        charge_frequency: 'Usage-Based',
        resource_id: fact.resourceId,
        resource_name: id.name,
        resource_type: id.type,
        billed_cost: actual,
        effective_cost: amortized,
        billing_currency: fact.currency,
        charge_period_start: fact.day,
        charge_period_end: new Date(fact.day.getTime() + DAY_MS),
        billing_period_start: month.start,
        billing_period_end: month.end,
        tags: id.resourceGroup ? { x_resource_group: id.resourceGroup } : {},
        x_task_id: ctx.taskId,
        x_collected_at: ctx.now(),
      });
    }
    yield rows;
  }
  ctx.complete?.(days);
}
