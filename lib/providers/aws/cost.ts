import {
  CostExplorerClient,
  type Expression,
  GetCostAndUsageCommand,
  type GetCostAndUsageResponse,
  GetCostAndUsageWithResourcesCommand,
} from '@aws-sdk/client-cost-explorer';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { CollectContext, Connection, TimeWindow } from '../../collector/types';
import { RequestBudgetError } from '../../costs/budget';
import {
  addDecimals,
  DecimalFormatError,
  isZeroDecimal,
  normalizeDecimal,
  subtractDecimal,
} from '../../costs/decimal';
import { billingMonth, intersect, isoDay, parseDay, startOfUtcDay, utcDays } from '../../costs/periods';
import { ProviderError, ProviderParseError } from '../../errors';
import type { CostRowInput } from '../../schemas/rows';
import { DAY_MS } from '../../time';
import { awsClientConfig } from './clients';
import type { AwsSettings } from './config';
import { classifyAwsError } from './errors';

/** Api names recorded in `collection_runs.billable_requests` ($0.01 per request and page). */
export const CE_GET_COST_AND_USAGE = 'ce:GetCostAndUsage';
export const CE_GET_COST_AND_USAGE_WITH_RESOURCES = 'ce:GetCostAndUsageWithResources';
/** Every Cost Explorer call is billable; the daily budget covers this prefix. */
export const CE_API_PREFIX = 'ce:';

/** The only service GetCostAndUsageWithResources answers for (its filter must name it). */
export const EC2_COMPUTE_SERVICE = 'Amazon Elastic Compute Cloud - Compute';
const METRICS = ['UnblendedCost', 'AmortizedCost', 'NetAmortizedCost', 'UsageQuantity'];
/** Resource-level data covers the last 14 days, today included. */
const RESOURCE_DAYS = 14;
/** Group key Cost Explorer uses for cost that has no resource id. */
const NO_RESOURCE_KEYS = new Set(['', 'NoResourceId', 'No resource id']);
const MAX_PAGES = 1000;

/** One Cost Explorer group on one day: a service (or resource) in a linked account. */
export interface CeFact {
  start: Date;
  end: Date;
  /** The group's keys in GroupBy order. */
  keys: string[];
  billed: string;
  effective: string;
  net: string | null;
  quantity: string;
  quantityUnit: string;
  currency: string;
  estimated: boolean;
}

function parseFail(api: string, path: string, problem: string): never {
  throw new ProviderParseError('aws', `${api}: malformed response: ${path} ${problem}`);
}

function amount(
  api: string,
  path: string,
  metric: { Amount?: string; Unit?: string } | undefined,
  required: boolean,
) {
  if (!metric) {
    if (required) parseFail(api, path, 'is missing');
    return undefined;
  }
  if (typeof metric.Amount !== 'string') parseFail(api, `${path}.Amount`, 'is not a string');
  try {
    return { amount: normalizeDecimal(metric.Amount as string), unit: String(metric.Unit ?? '') };
  } catch (err) {
    if (err instanceof DecimalFormatError)
      parseFail(api, `${path}.Amount`, `is not a decimal: ${JSON.stringify(metric.Amount)}`);
    throw err;
  }
}

/**
 * Turns one GetCostAndUsage(WithResources) page into facts, checking every field it uses;
 * anything unexpected is a ProviderParseError naming the path, so a malformed answer fails
 * the run instead of writing wrong money. Pure: unit tests feed it fixtures.
 */
export function parseCostAndUsagePage(
  page: GetCostAndUsageResponse,
  api: string,
  groupCount: number,
): CeFact[] {
  if (!page || !Array.isArray(page.ResultsByTime)) parseFail(api, 'ResultsByTime', 'is missing');
  const facts: CeFact[] = [];
  page.ResultsByTime?.forEach((result, i) => {
    const at = `ResultsByTime[${i}]`;
    const start = parseDay(String(result.TimePeriod?.Start ?? ''));
    const end = parseDay(String(result.TimePeriod?.End ?? ''));
    if (!start || !end || end <= start)
      parseFail(api, `${at}.TimePeriod`, `is not a day range: ${JSON.stringify(result.TimePeriod)}`);
    if (!Array.isArray(result.Groups)) parseFail(api, `${at}.Groups`, 'is missing');
    result.Groups?.forEach((group, j) => {
      const g = `${at}.Groups[${j}]`;
      const keys = group.Keys;
      if (!Array.isArray(keys) || keys.length !== groupCount || keys.some((k) => typeof k !== 'string')) {
        parseFail(api, `${g}.Keys`, `should be ${groupCount} strings: ${JSON.stringify(keys)}`);
      }
      const m = group.Metrics ?? {};
      const billed = amount(api, `${g}.Metrics.UnblendedCost`, m.UnblendedCost, true);
      const effective = amount(api, `${g}.Metrics.AmortizedCost`, m.AmortizedCost, true);
      const net = amount(api, `${g}.Metrics.NetAmortizedCost`, m.NetAmortizedCost, false);
      const quantity = amount(api, `${g}.Metrics.UsageQuantity`, m.UsageQuantity, false);
      const currency = billed?.unit ?? '';
      if (!/^[A-Z]{3}$/.test(currency))
        parseFail(
          api,
          `${g}.Metrics.UnblendedCost.Unit`,
          `is not a currency code: ${JSON.stringify(currency)}`,
        );
      for (const [name, v] of [
        ['AmortizedCost', effective],
        ['NetAmortizedCost', net],
      ] as const) {
        if (v && v.unit !== currency) {
          parseFail(
            api,
            `${g}.Metrics.${name}.Unit`,
            `is ${JSON.stringify(v.unit)} but UnblendedCost is ${currency}; amounts are never converted`,
          );
        }
      }
      facts.push({
        start: start as Date,
        end: end as Date,
        keys: keys as string[],
        billed: billed?.amount ?? '0',
        effective: effective?.amount ?? '0',
        net: net?.amount ?? null,
        quantity: quantity?.amount ?? '0',
        quantityUnit: quantity?.unit ?? '',
        currency,
        estimated: result.Estimated === true,
      });
    });
  });
  return facts;
}

/** Account names Cost Explorer attached to LINKED_ACCOUNT values (`Attributes.description`). */
function accountNames(page: GetCostAndUsageResponse, into: Map<string, string>): void {
  for (const d of page.DimensionValueAttributes ?? []) {
    const name = d.Attributes?.description;
    if (d.Value && name) into.set(d.Value, name);
  }
}

/** SDK failures as our error classes; an unreadable body is a parse error, not a retry. */
function classifyCeError(err: unknown, api: string): ProviderError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const deserialization =
    e?.name === 'SyntaxError' ||
    /Deserialization error|Unexpected token|not valid JSON|JSON at position/i.test(e?.message ?? '');
  if (deserialization && (e?.$metadata?.httpStatusCode ?? 200) < 300) {
    return new ProviderParseError('aws', `${api}: response is not valid JSON`, { cause: err });
  }
  return classifyAwsError(err, api);
}

type CeCommand = GetCostAndUsageCommand | GetCostAndUsageWithResourcesCommand;

/**
 * Pages through one Cost Explorer query. Each page is a billable request: the meter counts
 * it once the service answered (failed requests are not charged), and before every page the
 * run's remaining budget is checked so a run never spends past it.
 */
async function* cePages(
  ctx: CollectContext<AwsSettings>,
  client: CostExplorerClient,
  api: string,
  command: (token: string | undefined) => CeCommand,
): AsyncGenerator<GetCostAndUsageResponse> {
  let token: string | undefined;
  const seen = new Set<string>();
  for (let page = 0; ; page++) {
    if (page >= MAX_PAGES)
      throw new ProviderError(
        'aws',
        'too_many_pages',
        `${api}: more than ${MAX_PAGES} pages; narrow the window`,
        false,
      );
    if (ctx.meter.remaining(api) < 1) {
      const made = Object.entries(ctx.meter.counts)
        .filter(([k]) => k.startsWith(CE_API_PREFIX))
        .reduce((a, [, n]) => a + n, 0);
      throw new RequestBudgetError(
        'aws',
        `${api}: the connection's daily Cost Explorer budget (cost_explorer_daily_budget = ${ctx.connection.settings.cost_explorer_daily_budget}) is spent after ${made} request(s) in this run; stopped before the next page, nothing written`,
      );
    }
    const response = await ctx.retry(api, async () => {
      try {
        return (await client.send(command(token) as GetCostAndUsageCommand, {
          abortSignal: ctx.signal,
        })) as GetCostAndUsageResponse;
      } catch (err) {
        throw classifyCeError(err, api);
      }
    });
    ctx.meter.count(api);
    yield response;
    token = response.NextPageToken || undefined;
    if (!token) return;
    if (seen.has(token))
      throw new ProviderParseError(
        'aws',
        `${api}: NextPageToken repeats; stopped to avoid paying for a loop`,
      );
    seen.add(token);
  }
}

/** The account that pays: the role's account, or the caller's own (STS, free). */
async function payerAccount(ctx: CollectContext<AwsSettings>): Promise<string> {
  const fromRole = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(ctx.connection.settings.role_arn ?? '')?.[1];
  if (fromRole) return fromRole;
  return callerAccount(ctx.connection, ctx.signal, (label, fn) => ctx.retry(label, fn));
}

/** STS GetCallerIdentity with the connection's credentials (assuming its role if it has one). */
export async function callerAccount(
  connection: Connection<AwsSettings>,
  signal: AbortSignal,
  retry: <T>(label: string, fn: () => Promise<T>) => Promise<T> = (_l, fn) => fn(),
): Promise<string> {
  const sts = new STSClient(awsClientConfig(connection, connection.settings.regions?.[0] ?? 'us-east-1'));
  try {
    const who = await retry('sts:GetCallerIdentity', async () => {
      try {
        return await sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
      } catch (err) {
        throw classifyAwsError(err, 'sts:GetCallerIdentity');
      }
    });
    return who.Account ?? '';
  } finally {
    sts.destroy();
  }
}

function row(
  ctx: CollectContext<AwsSettings>,
  fact: CeFact,
  parts: { payer: string; account: string; accountName: string; service: string; resourceId: string },
  amounts: Pick<CeFact, 'billed' | 'effective' | 'net' | 'quantity' | 'quantityUnit'> = fact,
): CostRowInput {
  const month = billingMonth(fact.start);
  return {
    x_customer_id: ctx.customerId,
    x_provider: 'aws',
    x_connection_id: ctx.connection.id,
    billing_account_id: parts.payer,
    sub_account_id: parts.account,
    sub_account_name: parts.accountName,
    provider_name: 'AWS',
    invoice_issuer_name: 'AWS',
    service_name: parts.service,
    charge_category: parts.service === 'Tax' ? 'Tax' : 'Usage',
    charge_description: parts.resourceId ? `${parts.service}: ${parts.resourceId}` : parts.service,
    charge_frequency: 'Usage-Based',
    resource_id: parts.resourceId,
    resource_type: parts.resourceId.startsWith('i-') ? 'EC2 instance' : '',
    pricing_quantity: amounts.quantity,
    consumed_quantity: amounts.quantity,
    consumed_unit: amounts.quantityUnit,
    billed_cost: amounts.billed,
    effective_cost: amounts.effective,
    x_net_effective_cost: amounts.net,
    billing_currency: fact.currency,
    charge_period_start: fact.start,
    charge_period_end: fact.end,
    billing_period_start: month.start,
    billing_period_end: month.end,
    x_task_id: ctx.taskId,
    x_collected_at: ctx.now(),
  };
}

function linkedAccountFilter(s: AwsSettings): Expression | undefined {
  return s.linked_accounts?.length
    ? { Dimensions: { Key: 'LINKED_ACCOUNT', Values: s.linked_accounts } }
    : undefined;
}

/**
 * AWS cost from Cost Explorer: daily UnblendedCost (billed), AmortizedCost (effective),
 * NetAmortizedCost and UsageQuantity per service and linked account for every UTC day of
 * the window, paged by NextPageToken. With `resource_level_costs`, the last 14 days of
 * EC2 compute are broken down per instance (GetCostAndUsageWithResources); what the
 * instances do not account for stays on the service row, so totals are unchanged. The
 * days queried are declared complete: facts that disappeared from the answer are deleted.
 */
export async function* collectAwsCost(ctx: CollectContext<AwsSettings>): AsyncGenerator<CostRowInput[]> {
  const s = ctx.connection.settings;
  const days = utcDays(ctx.window);
  const client = new CostExplorerClient(awsClientConfig(ctx.connection, 'us-east-1'));
  try {
    const payer = await payerAccount(ctx);
    const names = new Map<string, string>();
    const filter = linkedAccountFilter(s);
    const today = startOfUtcDay(ctx.now());
    const resourceDays = s.resource_level_costs
      ? intersect(days, {
          start: new Date(today.getTime() - (RESOURCE_DAYS - 1) * DAY_MS),
          end: new Date(today.getTime() + DAY_MS),
        })
      : undefined;
    const inResourceDays = (d: Date) => !!resourceDays && d >= resourceDays.start && d < resourceDays.end;
    /** EC2 compute service facts of resource-level days, completed after the resource query. */
    const held = new Map<string, CeFact>();

    const period = { Start: isoDay(days.start), End: isoDay(days.end) };
    for await (const page of cePages(
      ctx,
      client,
      CE_GET_COST_AND_USAGE,
      (token) =>
        new GetCostAndUsageCommand({
          TimePeriod: period,
          Granularity: 'DAILY',
          Metrics: METRICS,
          GroupBy: [
            { Type: 'DIMENSION', Key: 'SERVICE' },
            { Type: 'DIMENSION', Key: 'LINKED_ACCOUNT' },
          ],
          ...(filter ? { Filter: filter } : {}),
          ...(token ? { NextPageToken: token } : {}),
        }),
    )) {
      accountNames(page, names);
      const rows: CostRowInput[] = [];
      for (const fact of parseCostAndUsagePage(page, CE_GET_COST_AND_USAGE, 2)) {
        const [service = '', account = ''] = fact.keys;
        if (service === EC2_COMPUTE_SERVICE && inResourceDays(fact.start)) {
          held.set(`${fact.start.getTime()}|${account}|${fact.currency}`, fact);
          continue;
        }
        rows.push(
          row(ctx, fact, { payer, account, accountName: names.get(account) ?? '', service, resourceId: '' }),
        );
      }
      yield rows;
    }

    if (resourceDays) {
      yield* resourceRows(ctx, client, { resourceDays, payer, names, held, filter });
    }
    ctx.complete?.(days);
  } finally {
    client.destroy();
  }
}

async function* resourceRows(
  ctx: CollectContext<AwsSettings>,
  client: CostExplorerClient,
  args: {
    resourceDays: TimeWindow;
    payer: string;
    names: Map<string, string>;
    held: Map<string, CeFact>;
    filter: Expression | undefined;
  },
): AsyncGenerator<CostRowInput[]> {
  const { resourceDays, payer, names, held, filter } = args;
  const service: Expression = { Dimensions: { Key: 'SERVICE', Values: [EC2_COMPUTE_SERVICE] } };
  /** Per service fact: what its instances account for so far. */
  const covered = new Map<string, { billed: string; effective: string; net: string; quantity: string }>();
  for await (const page of cePages(
    ctx,
    client,
    CE_GET_COST_AND_USAGE_WITH_RESOURCES,
    (token) =>
      new GetCostAndUsageWithResourcesCommand({
        TimePeriod: { Start: isoDay(resourceDays.start), End: isoDay(resourceDays.end) },
        Granularity: 'DAILY',
        Metrics: METRICS,
        GroupBy: [
          { Type: 'DIMENSION', Key: 'RESOURCE_ID' },
          { Type: 'DIMENSION', Key: 'LINKED_ACCOUNT' },
        ],
        Filter: filter ? { And: [service, filter] } : service,
        ...(token ? { NextPageToken: token } : {}),
      }),
  )) {
    accountNames(page, names);
    const rows: CostRowInput[] = [];
    for (const fact of parseCostAndUsagePage(page, CE_GET_COST_AND_USAGE_WITH_RESOURCES, 2)) {
      const [resourceId = '', account = ''] = fact.keys;
      if (NO_RESOURCE_KEYS.has(resourceId)) continue;
      const key = `${fact.start.getTime()}|${account}|${fact.currency}`;
      const sum = covered.get(key) ?? { billed: '0', effective: '0', net: '0', quantity: '0' };
      covered.set(key, {
        billed: addDecimals(sum.billed, fact.billed),
        effective: addDecimals(sum.effective, fact.effective),
        net: addDecimals(sum.net, fact.net ?? '0'),
        quantity: addDecimals(sum.quantity, fact.quantity),
      });
      rows.push(
        row(ctx, fact, {
          payer,
          account,
          accountName: names.get(account) ?? '',
          service: EC2_COMPUTE_SERVICE,
          resourceId,
        }),
      );
    }
    yield rows;
  }

  // The service-level figure minus what its instances account for: cost without a
  // resource id (and any instance the resource query did not list) stays on the service.
  const rest: CostRowInput[] = [];
  for (const [key, fact] of held) {
    const sum = covered.get(key) ?? { billed: '0', effective: '0', net: '0', quantity: '0' };
    const remainder = {
      billed: subtractDecimal(fact.billed, sum.billed),
      effective: subtractDecimal(fact.effective, sum.effective),
      net: fact.net === null ? null : subtractDecimal(fact.net, sum.net),
      quantity: subtractDecimal(fact.quantity, sum.quantity),
      quantityUnit: fact.quantityUnit,
    };
    if ([remainder.billed, remainder.effective, remainder.net ?? '0'].every(isZeroDecimal)) continue;
    const account = fact.keys[1] ?? '';
    rest.push(
      row(
        ctx,
        fact,
        {
          payer,
          account,
          accountName: names.get(account) ?? '',
          service: EC2_COMPUTE_SERVICE,
          resourceId: '',
        },
        remainder,
      ),
    );
  }
  yield rest;
}
