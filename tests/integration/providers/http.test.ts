import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonNumber, parseJsonLossless } from '../../../lib/costs/lossless-json';
import { ProviderParseError } from '../../../lib/errors';
import { fetchJson } from '../../../lib/providers/http';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';

let server: FakeServer;
beforeAll(async () => {
  server = await startFakeServer();
});
afterAll(() => server.close());

describe('fetchJson', () => {
  describe('Option: parse', () => {
    it('parses the body with the given parser, so a price keeps digits a double would lose', async () => {
      // Prepare
      server.handle(() => ({ body: '{"retailPrice":0.12345678904999999999}' }));

      // Act
      const { data } = await fetchJson<{ retailPrice: JsonNumber }>('probe', `${server.url}/p`, {
        parse: parseJsonLossless,
      });

      // Assess
      expect(data.retailPrice).toBeInstanceOf(JsonNumber);
      expect(data.retailPrice.value).toBe('0.12345678904999999999');
    });

    it('turns what the parser throws into a ProviderParseError naming the URL', async () => {
      server.handle(() => ({ body: '{"Items":[1,]}' }));

      const failure = fetchJson('probe', `${server.url}/p`, { parse: parseJsonLossless });

      await expect(failure).rejects.toBeInstanceOf(ProviderParseError);
      await expect(failure).rejects.toThrow(
        /^127\.0\.0\.1:\d+\/p: response is not valid JSON \(.+ at position 12\)$/,
      );
    });

    it('keeps JSON.parse when no parser is given', async () => {
      server.handle(() => ({ body: '{"retailPrice":0.192}' }));

      const { data } = await fetchJson<{ retailPrice: number }>('probe', `${server.url}/p`);

      expect(data.retailPrice).toBe(0.192);
    });
  });
});
