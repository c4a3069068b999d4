import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookSignatureInvalid } from './errors/webhook-signature-invalid.js';

/** Header names as sent; Node lower-cases them on the receiving side, HTTP does not care. */
export const HEADER = {
  signature: 'X-Kbisect-Signature',
  event: 'X-Kbisect-Event',
  delivery: 'X-Kbisect-Delivery',
  timestamp: 'X-Kbisect-Timestamp',
} as const;

/** How old a signed request may be when it arrives (and how far in the future). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The bytes the HMAC covers: `<timestamp>.<delivery id>.<body>`. The timestamp makes a
 * captured request useless after the tolerance window; the delivery id binds the id a
 * receiver deduplicates on, so a replay inside the window cannot pose as a new delivery.
 * Neither contains a dot, so the split is unambiguous.
 */
function signedMaterial(timestamp: string, deliveryId: string, body: Buffer | string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`${timestamp}.${deliveryId}.`, 'utf8'), bytes]);
}

/** "sha256=<64 hex>": HMAC-SHA256 of the signed material with the target's secret. */
export function sign(
  secret: string,
  timestamp: string,
  deliveryId: string,
  body: Buffer | string,
): string {
  const mac = createHmac('sha256', secret).update(signedMaterial(timestamp, deliveryId, body));
  return `sha256=${mac.digest('hex')}`;
}

/** A type, not an interface, so it passes where a plain header record is expected. */
export type SignedHeaders = {
  [HEADER.signature]: string;
  [HEADER.event]: string;
  [HEADER.delivery]: string;
  [HEADER.timestamp]: string;
};

/** The four kbisect headers of one POST, signed at `now` (a retry signs again, later). */
export function signedHeaders(options: {
  secret: string;
  event: string;
  deliveryId: string;
  body: Buffer | string;
  now?: Date;
}): SignedHeaders {
  const timestamp = Math.floor((options.now ?? new Date()).getTime() / 1000).toString();
  return {
    [HEADER.signature]: sign(options.secret, timestamp, options.deliveryId, options.body),
    [HEADER.event]: options.event,
    [HEADER.delivery]: options.deliveryId,
    [HEADER.timestamp]: timestamp,
  };
}

export interface VerifyOptions {
  /** The target's secret; several during a rotation (any one may match). */
  secret: string | readonly string[];
  /** The raw request body, exactly as received: re-serialized JSON does not verify. */
  body: Buffer | string;
  /** The request headers, any case (Node's `req.headers` fits). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  toleranceSeconds?: number;
  now?: Date;
}

function header(headers: VerifyOptions['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/**
 * Throws `WebhookSignatureInvalid` unless the request was signed with (one of) the secret(s)
 * over this body, delivery id and timestamp, and the timestamp is within the tolerance.
 * The comparison takes the same time whatever the bytes, so timing leaks nothing.
 */
export function assertValidSignature(options: VerifyOptions): void {
  const { headers, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS } = options;
  const signature = header(headers, HEADER.signature);
  const timestamp = header(headers, HEADER.timestamp);
  const deliveryId = header(headers, HEADER.delivery);
  if (!signature || !timestamp || !deliveryId) {
    throw new WebhookSignatureInvalid(
      'missing-header',
      `${HEADER.signature}, ${HEADER.timestamp} and ${HEADER.delivery} are required`,
    );
  }
  if (!/^sha256=[0-9a-f]{64}$/.test(signature) || !/^\d{1,12}$/.test(timestamp)) {
    throw new WebhookSignatureInvalid('malformed', 'expected sha256=<64 hex> and unix seconds');
  }
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const age = now - Number(timestamp);
  if (Math.abs(age) > toleranceSeconds) {
    throw new WebhookSignatureInvalid(
      'stale',
      `signed ${age} s ago, more than the ${toleranceSeconds} s allowed`,
    );
  }
  const given = Buffer.from(signature, 'utf8');
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  const matches = secrets.some((secret) => {
    const expected = Buffer.from(sign(secret, timestamp, deliveryId, options.body), 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!matches) {
    throw new WebhookSignatureInvalid('mismatch', 'the signature does not match the body');
  }
}

/** For receivers: true when the request is kbisect's, unaltered and recent. */
export function verifySignature(options: VerifyOptions): boolean {
  try {
    assertValidSignature(options);
    return true;
  } catch (error) {
    if (error instanceof WebhookSignatureInvalid) return false;
    throw error;
  }
}
