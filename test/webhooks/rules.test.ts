/** Pure rules of outbound webhooks: the address check, the back-off schedule, the outcome of an attempt, the config flag. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { MINUTE } from '../../src/domain/shared/clock.js';
import { isWebhookAddressAllowed } from '../../src/crypto/guarded-fetch.js';
import { signWebhook, verifyWebhookSignature } from '../../src/jobs/webhook-sender.js';
import { WEBHOOK_EVENT_TYPES, webhookRetryDelayMs } from '../../src/domain/webhooks/model.js';
import { webhookAttemptOutcome } from '../../src/domain/webhooks/emit-event.js';

describe('webhook rules', () => {
  it('lets public unicast through; private, loopback, link-local only with the flag; metadata and specials never', () => {
    for (const ip of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']) {
      expect(isWebhookAddressAllowed(ip, false), ip).toBe(true);
    }
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.1.1', '100.64.0.1', '::1', 'fe80::1', 'fd12::1', '::ffff:127.0.0.1']) {
      expect(isWebhookAddressAllowed(ip, false), ip).toBe(false);
      expect(isWebhookAddressAllowed(ip, true), ip).toBe(true);
    }
    for (const ip of ['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254', '0.0.0.0', '::', '224.0.0.1', '255.255.255.255', 'ff02::1', 'not-an-ip']) {
      expect(isWebhookAddressAllowed(ip, true), ip).toBe(false);
    }
  });

  it('backs off 1 min × 2^(n−1), capped at 6 h, and is dead after the 8th failure', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => webhookRetryDelayMs(n) / MINUTE)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 360]);
    const now = new Date('2026-11-22T12:00:00Z');
    expect(webhookAttemptOutcome(now, 1, { statusCode: 201, error: null })).toMatchObject({ status: 'delivered', deliveredAt: now });
    expect(webhookAttemptOutcome(now, 3, { statusCode: 410, error: null })).toMatchObject({
      status: 'pending',
      error: 'HTTP 410',
      nextAttemptAt: new Date(now.getTime() + 4 * MINUTE),
    });
    expect(webhookAttemptOutcome(now, 7, { statusCode: null, error: 'FETCH_TIMEOUT: …' })).toMatchObject({ status: 'pending', error: 'FETCH_TIMEOUT: …' });
    expect(webhookAttemptOutcome(now, 8, { statusCode: 302, error: null })).toMatchObject({ status: 'dead', nextAttemptAt: null, error: 'HTTP 302' });
  });

  it('signs t.body with HMAC-SHA256 and verifies within a tolerance', () => {
    const header = signWebhook('whsec_test', 1_700_000_000, '{"a":1}');
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('whsec_test', header, { body: '{"a":1}', nowSeconds: 1_700_000_100 })).toBe(true);
    expect(verifyWebhookSignature('whsec_other', header, { body: '{"a":1}', nowSeconds: 1_700_000_100 })).toBe(false);
    expect(verifyWebhookSignature('whsec_test', header, { body: '{"a":1}', nowSeconds: 1_700_000_301 })).toBe(false);
    expect(verifyWebhookSignature('whsec_test', 't=x,v1=zz', { body: '{"a":1}', nowSeconds: 1_700_000_000 })).toBe(false);
  });

  it('lists the event types and reads WEBHOOKS_ALLOW_PRIVATE_NETWORKS (default false)', () => {
    expect(WEBHOOK_EVENT_TYPES).toEqual(['credential.issued', 'credential.claimed', 'credential.revoked', 'job.completed']);
    expect(loadConfig({}).webhooks).toEqual({ allowPrivateNetworks: false });
    expect(loadConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' }).webhooks).toEqual({ allowPrivateNetworks: true });
    expect(() => loadConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'yes' })).toThrow(/WEBHOOKS_ALLOW_PRIVATE_NETWORKS/);
  });
});
