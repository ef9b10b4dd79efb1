import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/api/routes';
import { isTriggerRoute } from '../../stacks/Api';
import { connectionSecretsPrefix } from '../../stacks/permissions';
import {
  actionsOf,
  allStatements,
  functionResource,
  roleStatements,
  type SynthesizedApp,
  synthesize,
} from './synth';

let synth: SynthesizedApp;
beforeAll(async () => {
  synth = await synthesize({ env: { OPTIINFRA_ALARM_EMAIL: 'oncall@example.com' } });
}, 120_000);

const PREFIX = connectionSecretsPrefix('test');
/** Functions that may touch connection secrets: the collectors and the API functions that handle connections or run collections. */
const ALLOWED_API = new Set(
  ROUTES.filter(
    (r) => isTriggerRoute(r) || r.name.startsWith('connections-') || r.name === 'collectors-list',
  ).map((r) => r.name),
);

describe('connection secrets in Secrets Manager', () => {
  it("grants the secret actions on this deployment's prefix only, to the API's connection and trigger functions and the collectors only", () => {
    const granted: string[] = [];
    for (const f of synth.functions) {
      const statements = roleStatements(synth, f).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
      );
      if (statements.length === 0) continue;
      granted.push(`${f.stack}/${f.id}`);
      for (const s of statements) {
        expect(actionsOf(s).sort()).toEqual([
          'secretsmanager:CreateSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
        ]);
        const resource = JSON.stringify(s.Resource);
        expect(resource).toContain(`:secret:${PREFIX}*`);
        expect(resource).not.toMatch(/"\*"/);
      }
      const env = functionResource(synth, f).Properties.Environment.Variables;
      expect(env.OPTIINFRA_SECRETS_PREFIX).toBe(PREFIX);
    }
    const api = synth.functions
      .filter((f) => f.stack === 'Api' && granted.includes(`Api/${f.id}`))
      .map((f) => String(f.props.handler).replace(/^functions\/api\/(.+)\.handler$/, '$1'));
    for (const name of api) expect(ALLOWED_API.has(name)).toBe(true);
    for (const name of ALLOWED_API) expect(api).toContain(name);
    const others = granted.filter((g) => !g.startsWith('Api/'));
    expect(others.sort()).toEqual(['Collectors/CollectDispatch', 'Collectors/CollectWorker']);
  });

  it('has no other statement anywhere that reaches Secrets Manager', () => {
    for (const name of ['Config', 'Storage', 'Collectors', 'Api'] as const) {
      for (const { statement } of allStatements(synth.templates[name])) {
        const actions = actionsOf(statement);
        if (!actions.some((a) => a.startsWith('secretsmanager:') || a === '*')) continue;
        expect(actions.every((a) => a.startsWith('secretsmanager:'))).toBe(true);
        expect(JSON.stringify(statement.Resource)).toContain(`:secret:${PREFIX}*`);
      }
    }
  });
});
