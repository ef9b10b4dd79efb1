import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
  /** Wait before answering (latency, timeouts). */
  delayMs?: number;
}

export type FakeHandler = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Replace the handler between tests. */
  handle(handler: FakeHandler): void;
  close(): Promise<void>;
}

/**
 * A provider API stand-in on 127.0.0.1:0 that real SDK clients are pointed at. It records
 * every request (method, path, query, headers, body) and answers with what the test's
 * handler returns, so tests assert both the wire requests and the rows produced.
 */
export async function startFakeServer(handler: FakeHandler = () => ({ status: 404 })): Promise<FakeServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    requests.push(recorded);
    try {
      const reply = await current(recorded);
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      const isText = typeof reply.body === 'string' || reply.body === undefined;
      const payload = isText ? ((reply.body as string | undefined) ?? '') : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, {
        ...(isText ? {} : { 'content-type': 'application/json' }),
        ...reply.headers,
      });
      res.end(payload);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake server handler threw: ${(err as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    handle(h) {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
