import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-relm-signature';
export const TIMESTAMP_HEADER = 'x-relm-timestamp';
const MAX_AGE_SECONDS = 5 * 60;

/** `sha256=` + HMAC-SHA256(secret, "<timestamp>.<body>"), the scheme of both directions. */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Checks a signed request: right secret, body unchanged, sent within five minutes. */
export function verifyBody(secret: string, headers: { signature?: string; timestamp?: string }, body: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > MAX_AGE_SECONDS) return false;
  const expected = Buffer.from(signBody(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
