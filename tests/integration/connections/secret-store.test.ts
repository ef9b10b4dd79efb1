import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsSecretStore,
  decryptSecret,
  embeddedSecretStore,
  encryptSecret,
  SECRET_CACHE_TTL_MS,
} from '../../../lib/connections/secret-store';
import { decodeAwsCall } from '../../helpers/aws-fake';
import {
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
  startFakeServer,
} from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';

const PREFIX = 'optiinfra/test/connections/';

/** Secrets Manager's JSON 1.1 protocol (X-Amz-Target: secretsmanager.<Action>), its documented errors. */
function secretsManager(vault: Map<string, string>) {
  const json = (body: unknown, status = 200): FakeReply => ({
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(body),
  });
  const notFound = () =>
    json(
      { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." },
      400,
    );
  return (r: RecordedRequest): FakeReply => {
    const call = decodeAwsCall(r);
    if (call.service !== 'secretsmanager') return json({ __type: 'UnrecognizedClientException' }, 400);
    const id = String(call.json.SecretId ?? call.json.Name ?? '');
    const arn = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${id}-AbCdEf`;
    switch (call.action) {
      case 'GetSecretValue': {
        const v = vault.get(id);
        return v === undefined ? notFound() : json({ ARN: arn, Name: id, SecretString: v, VersionId: 'v1' });
      }
      case 'PutSecretValue':
        if (!vault.has(id)) return notFound();
        vault.set(id, String(call.json.SecretString));
        return json({ ARN: arn, Name: id, VersionId: 'v2' });
      case 'CreateSecret':
        vault.set(id, String(call.json.SecretString));
        return json({ ARN: arn, Name: id, VersionId: 'v1' });
      case 'DeleteSecret':
        if (!vault.delete(id)) return notFound();
        return json({ ARN: arn, Name: id, DeletionDate: Date.now() / 1000 });
      default:
        return json({ __type: 'InvalidRequestException', Message: call.action }, 400);
    }
  };
}

let sm: FakeServer;
const vault = new Map<string, string>();
beforeAll(async () => {
  sm = await startFakeServer(secretsManager(vault));
});
afterAll(() => sm.close());

describe('AWS Secrets Manager store (real SDK, wire-format stand-in)', () => {
  it('creates one secret per connection under the prefix, updates, caches reads for at most 5 minutes, deletes', async () => {
    let now = 1_000_000;
    const store = awsSecretStore({
      prefix: PREFIX,
      region: 'eu-west-1',
      endpoint: sm.url,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      now: () => now,
    });
    expect(await store.get('conn_a')).toBeUndefined();
    await store.put('conn_a', { api_key: 'k1' });
    expect([...vault.keys()]).toEqual([`${PREFIX}conn_a`]);
    await store.put('conn_a', { api_key: 'k2' });
    expect(JSON.parse(vault.get(`${PREFIX}conn_a`) as string)).toEqual({ api_key: 'k2' });
    const actions = () => sm.requests.map((r) => decodeAwsCall(r).action);
    expect(actions()).toEqual(['GetSecretValue', 'PutSecretValue', 'CreateSecret', 'PutSecretValue']);

    // Another process changed it: a warm reader keeps its copy until the TTL ends.
    vault.set(`${PREFIX}conn_a`, JSON.stringify({ api_key: 'k3' }));
    sm.requests.length = 0;
    expect(await store.get('conn_a')).toEqual({ api_key: 'k2' });
    expect(sm.requests).toHaveLength(0);
    now += SECRET_CACHE_TTL_MS;
    expect(await store.get('conn_a')).toEqual({ api_key: 'k3' });
    expect(actions()).toEqual(['GetSecretValue']);

    await store.delete('conn_a');
    expect(vault.size).toBe(0);
    const del = sm.requests.at(-1) as RecordedRequest;
    expect(decodeAwsCall(del).json).toEqual({
      SecretId: `${PREFIX}conn_a`,
      ForceDeleteWithoutRecovery: true,
    });
    expect(await store.get('conn_a')).toBeUndefined();
    await store.delete('conn_a'); // already gone: no error
  });
});

describe('embedded store (AES-256-GCM envelopes)', () => {
  it('keeps only ciphertext in ClickHouse and opens it with the master key only, for that name only', async () => {
    const key = Buffer.alloc(32, 7);
    const store = embeddedSecretStore(await testStore(), () => key);
    await store.put('conn_x', { api_key: 'planted-secret-value-123' });
    expect(await store.get('conn_x')).toEqual({ api_key: 'planted-secret-value-123' });
    const stored = await rows<{ ciphertext: string }>(
      await testStore(),
      "SELECT ciphertext FROM connection_secrets WHERE name = 'conn_x'",
    );
    expect(stored[0]?.ciphertext).not.toContain('planted-secret-value');
    const envelope = stored[0]?.ciphertext as string;
    expect(() => decryptSecret(Buffer.alloc(32, 8), 'conn_x', envelope)).toThrow();
    expect(() => decryptSecret(key, 'conn_y', envelope)).toThrow();
    expect(encryptSecret(key, 'n', { a: 'b' })).not.toEqual(encryptSecret(key, 'n', { a: 'b' }));
    await store.delete('conn_x');
    expect(await store.get('conn_x')).toBeUndefined();
  });
});
