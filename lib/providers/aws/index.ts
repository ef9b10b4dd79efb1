import type { ProviderDefinition } from '../../collector/types';
import { openMonthsStart } from '../../costs/periods';
import { DAY_MS, MINUTE_MS } from '../../time';
import { type AwsSettings, AwsSettingsSchema } from './config';
import { CE_API_PREFIX, callerAccount, collectAwsCost } from './cost';
import { collectAwsPerformance } from './performance';
import { collectAwsResources } from './resource';

/** Amazon Web Services. Collectors live one file per data type next to this one. */
export const awsProvider: ProviderDefinition<AwsSettings> = {
  id: 'aws',
  displayName: 'Amazon Web Services',
  category: 'hyperscaler',
  settingsSchema: AwsSettingsSchema,
  collectors: {
    cost: collectAwsCost,
    performance: collectAwsPerformance,
    resource: collectAwsResources,
  },
  windows: {
    // Cost Explorer revises the open month and the first days after it closes. A new
    // connection starts with last month in full.
    cost: {
      maxBackfillMs: 70 * DAY_MS,
      restateFrom: (now, s, watermark) => openMonthsStart(now, watermark ? s.cost_month_final_day : 31),
    },
    // CloudWatch publishes EC2/RDS data a few minutes late: re-read the last 20 minutes.
    performance: { initialLookbackMs: 60 * MINUTE_MS, restatementMs: 20 * MINUTE_MS },
  },
  requestBudgets: {
    cost: (s) => ({
      apiPrefix: CE_API_PREFIX,
      perDay: s.cost_explorer_daily_budget,
      minPerRun: s.resource_level_costs ? 2 : 1,
      label: 'Cost Explorer',
      setting: 'cost_explorer_daily_budget',
    }),
  },
  /** STS GetCallerIdentity (free): proves the credentials and, with a role, the trust policy and ExternalId. */
  async testConnection({ connection, signal }) {
    await callerAccount(connection, signal);
  },
};
