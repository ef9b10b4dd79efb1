import { createHash } from 'node:crypto';

/**
 * OVH's application-key signature: "$1$" + SHA-1 hex of
 * `AS+CK+METHOD+URL+BODY+TIMESTAMP` joined with "+", where URL is the full request URL
 * and TIMESTAMP the server's clock (GET /auth/time), as the official SDK computes it.
 */
export function ovhSignature(args: {
  applicationSecret: string;
  consumerKey: string;
  method: string;
  url: string;
  body: string;
  timestamp: number;
}): string {
  const text = [
    args.applicationSecret,
    args.consumerKey,
    args.method,
    args.url,
    args.body,
    String(args.timestamp),
  ].join('+');
  return `$1$${createHash('sha1').update(text).digest('hex')}`;
}
