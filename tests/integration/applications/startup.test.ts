import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { describe, expect, it } from 'vitest';
import { applicationsSummary } from '../../../lib/api/handlers/applications';
import { parseConfig, redactConfig } from '../../../lib/config/schema';
import { createLogger } from '../../../lib/logger';
import { createRuntime } from '../../../lib/runtime';
import { testStore } from '../../helpers/store';
import { customerAuth, invoke } from './support';

/**
 * A Powertools logger that also keeps every record it formats, so a test reads what the
 * process logged (through Powertools' own formatter extension point, not a stub).
 */
function recordingLogger() {
  const records: Record<string, unknown>[] = [];
  class Recording extends LogFormatter {
    formatAttributes(attributes: UnformattedAttributes, extra: LogAttributes): LogItem {
      records.push({ level: attributes.logLevel, message: attributes.message, ...extra });
      return new LogItem({ attributes: { level: attributes.logLevel, message: attributes.message } });
    }
  }
  const logger = new Logger({ serviceName: 'optiinfra', logLevel: 'INFO', logFormatter: new Recording() });
  return { logger, records };
}

describe('starting without a Groq key', () => {
  it('builds the local runtime, says plainly that evaluation is off, and the read API says so too', async () => {
    const env = { DEFAULT_CUSTOMER_ID: 'st-a' };
    const { logger, records } = recordingLogger();
    const rt = await createRuntime(parseConfig(env), {
      mode: 'local',
      env,
      store: await testStore(),
      logger,
    });
    expect(records.filter((l) => l.message === 'application evaluation is off')).toEqual([
      expect.objectContaining({
        level: 'WARN',
        reason:
          'GROQ_API_KEY is not set: interactions are accepted and kept pending, and are evaluated once a judge key is configured.',
      }),
    ]);
    expect(rt.applications.judge).toBeUndefined();
    expect(rt.registry.customerSource?.('application')).toBe(rt.applications.source);

    const res = await invoke(rt, applicationsSummary, {
      method: 'GET',
      path: '/api/v2/applications/{customer_id}/{provider}/summary',
      pathParameters: { customer_id: 'st-a', provider: 'all' },
      auth: customerAuth('st-a'),
    });
    expect(res.status).toBe(200);
    expect(res.body.evaluation).toEqual({
      enabled: false,
      reason:
        'GROQ_API_KEY is not set: interactions are accepted and kept pending, and are evaluated once a judge key is configured.',
      judge_model: 'openai/gpt-oss-120b',
      prompt_version: rt.applications.status.prompt_version,
      sampling_rate: 1,
      token_budget_per_run: 200_000,
    });
  });

  it('never shows the Groq key: not in the redacted config, not in the evaluation status', async () => {
    const key = 'test-groq-secretvalue-0123456789abcdefghijkl';
    const env = { GROQ_API_KEY: key };
    const config = parseConfig(env);
    expect(config.judge.apiKey).toBe(key);
    expect(JSON.stringify(redactConfig(config))).not.toContain(key);
    const rt = await createRuntime(config, {
      mode: 'lambda',
      env,
      store: await testStore(),
      logger: createLogger({ level: 'SILENT' }),
    });
    expect(rt.applications.status.enabled).toBe(true);
    expect(JSON.stringify(rt.applications.status)).not.toContain(key);
    expect(rt.runDeps.secrets).toContain(key);
  });

  it('names a bad judge setting', () => {
    expect(() => parseConfig({ JUDGE_SAMPLING_RATE: '1.5' })).toThrow(
      'Invalid configuration: JUDGE_SAMPLING_RATE: must be a number from 0 to 1, got "1.5"',
    );
    expect(() => parseConfig({ GROQ_BASE_URL: 'api.groq.com' })).toThrow(
      'Invalid configuration: GROQ_BASE_URL: must be an http(s):// URL (the host root, e.g. https://api.groq.com)',
    );
  });
});
