import { describe, expect, it } from 'vitest';
import { WebhookSignatureInvalid } from './errors/webhook-signature-invalid.js';
import { assertValidSignature, HEADER, sign, signedHeaders, verifySignature } from './signature.js';

const secret = 'whsec_4f1d0a6c2b7e48d9a1c3e5f7';
const body = JSON.stringify({ event: 'bisect.finished', bisectId: 'b-1', status: 'found' });
const deliveryId = '3b0c4f52-8d0e-4b1a-9c7e-2f6a1d9e0b44';
const now = new Date('2026-11-26T06:00:00Z');
const headers = signedHeaders({ secret, event: 'bisect.finished', deliveryId, body, now });

describe('webhook signatures', () => {
  it('sign HMAC-SHA256 over "<timestamp>.<delivery>.<body>", as docs/webhooks.md shows', () => {
    // Computed independently: printf '%s' "1795672800.$id.$body" | openssl dgst -sha256 -hmac "$secret"
    const expected = 'sha256=5c7deeddee71d6d8d9c0e0b3eea7d0cd5d267691ba5afe4eb4a89cf7f5c19fcd';
    expect(headers[HEADER.timestamp]).toBe('1795672800');
    expect(headers[HEADER.delivery]).toBe(deliveryId);
    expect(headers[HEADER.event]).toBe('bisect.finished');
    expect(headers[HEADER.signature]).toBe(expected);
    expect(sign(secret, '1795672800', deliveryId, Buffer.from(body))).toBe(expected);
  });

  it('verify for the receiver holding the secret, with headers in any case', () => {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifySignature({ secret, body, headers: lower, now })).toBe(true);
    expect(verifySignature({ secret, body: Buffer.from(body), headers, now })).toBe(true);
  });

  it('fail with a wrong secret', () => {
    expect(verifySignature({ secret: 'whsec_not-the-one', body, headers, now })).toBe(false);
    expect(() => assertValidSignature({ secret: 'whsec_not-the-one', body, headers, now })).toThrow(
      expect.objectContaining({ name: 'WebhookSignatureInvalid', reason: 'mismatch' }),
    );
  });

  it('fail when one byte of the body changed', () => {
    expect(verifySignature({ secret, body: body.replace('found', 'fOund'), headers, now })).toBe(
      false,
    );
  });

  it('fail when the delivery id was swapped to dodge deduplication', () => {
    const swapped = { ...headers, [HEADER.delivery]: 'a-fresh-looking-id' };
    expect(verifySignature({ secret, body, headers: swapped, now })).toBe(false);
  });

  it('fail as stale once the tolerance has passed, so a captured request cannot be replayed', () => {
    const later = new Date(now.getTime() + 301_000);
    expect(verifySignature({ secret, body, headers, now: later })).toBe(false);
    const error = (() => {
      try {
        assertValidSignature({ secret, body, headers, now: later });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(WebhookSignatureInvalid);
    expect((error as WebhookSignatureInvalid).reason).toBe('stale');
    expect(verifySignature({ secret, body, headers, now: later, toleranceSeconds: 600 })).toBe(
      true,
    );
  });

  it('accept either secret during a rotation', () => {
    expect(verifySignature({ secret: ['whsec_new-one', secret], body, headers, now })).toBe(true);
  });

  it('fail without the headers, or with a malformed signature', () => {
    expect(verifySignature({ secret, body, headers: {}, now })).toBe(false);
    const bad = { ...headers, [HEADER.signature]: 'md5=abc' };
    expect(() => assertValidSignature({ secret, body, headers: bad, now })).toThrow(/malformed/);
  });
});
