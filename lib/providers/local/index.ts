import type { ProviderDefinition } from '../../collector/types';
import { HOUR_MS } from '../../time';
import { type LocalSettings, LocalSettingsSchema } from './config';
import { collectLocalCost } from './cost';
import { sampleMachine } from './machine';
import { collectLocalPerformance } from './performance';
import { collectLocalResource } from './resource';

/** The machine OptiInfra runs on: real data from the first minute, with no cloud account. */
export const localProvider: ProviderDefinition<LocalSettings> = {
  id: 'local',
  displayName: 'This machine',
  category: 'self_hosted',
  settingsSchema: LocalSettingsSchema,
  collectors: {
    performance: collectLocalPerformance,
    resource: collectLocalResource,
    cost: collectLocalCost,
  },
  windows: {
    cost: { initialLookbackMs: HOUR_MS, restatementMs: 2 * HOUR_MS },
  },
  async testConnection() {
    await sampleMachine(0);
  },
};
