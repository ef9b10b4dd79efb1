import type { ProviderDefinition } from '../../collector/types';
import { openMonthsStart, startOfUtcDay } from '../../costs/periods';
import { DAY_MS, MINUTE_MS } from '../../time';
import { type AzureSettings, AzureSettingsSchema } from './config';
import {
  azureCostDefinition,
  azureCostScopes,
  classifyAzureError,
  collectAzureCost,
  createCostManagementClient,
} from './cost';
import { collectAzurePerformance } from './performance';
import { collectAzureResources } from './resource';

/** Microsoft Azure. Collectors live one file per data type next to this one. */
export const azureProvider: ProviderDefinition<AzureSettings> = {
  id: 'azure',
  displayName: 'Microsoft Azure',
  category: 'hyperscaler',
  settingsSchema: AzureSettingsSchema,
  collectors: {
    cost: collectAzureCost,
    performance: collectAzurePerformance,
    resource: collectAzureResources,
  },
  windows: {
    // Azure refreshes cost data about every 4 hours and keeps revising the open month.
    cost: {
      maxBackfillMs: 70 * DAY_MS,
      restateFrom: (now, s, watermark) => openMonthsStart(now, watermark ? s.cost_month_final_day : 31),
    },
    // Platform metrics arrive 1–3 minutes late: re-read the last 20 minutes.
    performance: { initialLookbackMs: 60 * MINUTE_MS, restatementMs: 20 * MINUTE_MS },
  },
  /** A token for the service principal and one tiny cost query (today, first scope): free, a fraction of one QPU. */
  async testConnection({ connection, signal }) {
    const client = createCostManagementClient(connection);
    const today = startOfUtcDay(new Date());
    const scope = azureCostScopes(connection.settings)[0] as string;
    const definition = azureCostDefinition('ActualCost', today, new Date(today.getTime() + DAY_MS - 1000));
    try {
      await client.query.usage(
        scope,
        { ...definition, dataset: { granularity: 'Daily', aggregation: definition.dataset.aggregation } },
        { abortSignal: signal },
      );
    } catch (err) {
      throw classifyAzureError(err, `azure:query ${scope}`);
    }
  },
};
