import { BigQuery } from '@google-cloud/bigquery';
import { CloudBillingClient } from '@google-cloud/billing';
import type { ProviderDefinition } from '../../collector/types';
import { openMonthsStart } from '../../costs/periods';
import { DAY_MS, MINUTE_MS } from '../../time';
import { gaxClientOptions } from './clients';
import { type GcpSettings, GcpSettingsSchema } from './config';
import { bigQueryOptions, collectGcpCost } from './cost';
import { classifyGoogleError } from './cost-errors';
import { collectGcpPerformance } from './performance';
import { collectGcpResources } from './resource';

/** Google Cloud. Collectors live one file per data type next to this one. */
export const gcpProvider: ProviderDefinition<GcpSettings> = {
  id: 'gcp',
  displayName: 'Google Cloud',
  category: 'hyperscaler',
  settingsSchema: GcpSettingsSchema,
  collectors: {
    cost: collectGcpCost,
    performance: collectGcpPerformance,
    resource: collectGcpResources,
  },
  windows: {
    // Export rows for a day keep arriving and changing for days, and after month end.
    cost: {
      maxBackfillMs: 70 * DAY_MS,
      restateFrom: (now, s, watermark) => openMonthsStart(now, watermark ? s.cost_month_final_day : 31),
    },
    // Compute Engine samples show up to 4 minutes late: re-read the last 20 minutes.
    performance: { initialLookbackMs: 60 * MINUTE_MS, restatementMs: 20 * MINUTE_MS },
  },
  /**
   * Free calls that prove what cost collection needs: the export table is readable
   * (BigQuery tables.get) and, when configured, the billing account (Cloud Billing API);
   * without either, that the credentials can read the first project's billing info.
   */
  async testConnection({ connection }) {
    const s = connection.settings;
    if (s.billing_export_table) {
      const [project, dataset, table] = s.billing_export_table.split('.') as [string, string, string];
      const bq = new BigQuery(bigQueryOptions(connection, project));
      try {
        await bq.dataset(dataset).table(table).getMetadata();
      } catch (err) {
        throw classifyGoogleError(err, 'bq:tables.get');
      }
    }
    const billing = new CloudBillingClient(
      gaxClientOptions(connection) as ConstructorParameters<typeof CloudBillingClient>[0],
    );
    try {
      if (s.billing_account_id)
        await billing.getBillingAccount({ name: `billingAccounts/${s.billing_account_id}` });
      else if (!s.billing_export_table)
        await billing.getProjectBillingInfo({ name: `projects/${s.project_ids[0]}` });
    } catch (err) {
      throw classifyGoogleError(err, 'billing:getBillingAccount');
    } finally {
      await billing.close();
    }
  },
};
