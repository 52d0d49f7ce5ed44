import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { refusedAddress, webhookUrlProblem } from '../domain/webhook-addresses';
import { webhookBody, webhookEventType, webhookMessageId } from '../domain/webhook-payload';
import {
  deliveryVerdict,
  parseRetryAfter,
  parseRetrySchedule,
  retryDelayMs,
} from '../domain/webhook-retries';
import { newWebhookSecret, signWebhook, webhookHeaders } from '../domain/webhook-signature';

// The pure rules of webhook delivery: the body, the signature (checked against the
// `standardwebhooks` reference verifier), the address rule and the retry schedule.
// Given/when/then, no servers.

const placed = {
  eventId: '6f1c2a36-8d7e-4c39-9d1e-0b5f7c1d2e3f',
  streamVersion: 1,
  globalPosition: 42,
  type: 'OrderPlaced',
  schemaVersion: 1,
  data: {
    orderId: 'o-1',
    customerId: 'c-1',
    region: 'eu',
    currency: 'EUR',
    items: [{ productId: 'p-1', quantity: 2, unitPriceMinor: 1999 }],
    totalQuantity: 2,
    totalMinor: 3998,
    placedAt: '2026-01-02T03:04:05.000Z',
  },
  metadata: { occurredAt: '2026-01-02T03:04:05.000Z' },
};

describe('the webhook body', () => {
  it('given a stored OrderPlaced, when built, then it has the public type, the time and the order, version, position and fields', () => {
    const body = JSON.parse(webhookBody(placed));
    expect(body).toEqual({
      type: 'order.placed',
      timestamp: '2026-01-02T03:04:05.000Z',
      data: {
        orderId: 'o-1',
        version: 1,
        position: 42,
        customerId: 'c-1',
        region: 'eu',
        currency: 'EUR',
        items: [{ productId: 'p-1', quantity: 2, unitPriceMinor: 1999 }],
        totalQuantity: 2,
        totalMinor: 3998,
        placedAt: '2026-01-02T03:04:05.000Z',
      },
    });
  });

  it('given each stored type, then the public names; an unknown type is not sent', () => {
    expect(
      ['OrderPlaced', 'OrderCompleted', 'OrderCancelled', 'OrderRefunded'].map(webhookEventType),
    ).toEqual(['order.placed', 'order.completed', 'order.cancelled', 'order.refunded']);
    expect(webhookEventType('SomethingElse')).toBeNull();
  });

  it('given one event, then its message id is stable per subscription and differs between subscriptions', () => {
    const a = webhookMessageId('11111111-1111-1111-1111-111111111111', placed.eventId);
    expect(webhookMessageId('11111111-1111-1111-1111-111111111111', placed.eventId)).toBe(a);
    expect(webhookMessageId('22222222-2222-2222-2222-222222222222', placed.eventId)).not.toBe(a);
  });
});

describe('the signature', () => {
  const content = { id: 'msg_1', timestamp: Math.floor(Date.now() / 1000), body: '{"a":1}' };

  it('given a new secret, when signed, then the reference verifier accepts it', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    const headers = webhookHeaders(content, [secret]);
    expect(new Webhook(secret).verify(content.body, headers)).toEqual({ a: 1 });
  });

  it('given a rotation, when signed with both secrets, then two v1 entries and each secret verifies alone', () => {
    const [next, previous] = [newWebhookSecret(), newWebhookSecret()];
    const headers = webhookHeaders(content, [next, previous]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    expect(new Webhook(next).verify(content.body, headers)).toEqual({ a: 1 });
    expect(new Webhook(previous).verify(content.body, headers)).toEqual({ a: 1 });
    expect(() => new Webhook(newWebhookSecret()).verify(content.body, headers)).toThrow();
  });

  it('given a changed body, then the signature no longer verifies', () => {
    const secret = newWebhookSecret();
    const headers = webhookHeaders(content, [secret]);
    expect(() => new Webhook(secret).verify('{"a":2}', headers)).toThrow();
  });

  it('given a secret outside 24–64 bytes, then it is refused', () => {
    expect(() => newWebhookSecret(16)).toThrow();
    expect(() => signWebhook(content, ['whsec_c2hvcnQ='])).toThrow();
  });
});

describe('the address rule', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['0.0.0.0', 'this network'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1%eth0', 'link-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['::ffff:127.0.0.1', 'IPv4 loopback (embedded)'],
    ['::ffff:7f00:1', 'IPv4 loopback (embedded)'],
    ['::ffff:10.0.0.1', 'IPv4 private (embedded)'],
    ['64:ff9b::a9fe:a9fe', 'IPv4 link-local (embedded)'],
    ['ff02::1', 'multicast'],
    ['not-an-ip', 'not an IP address'],
  ])('given %s, then it is refused (%s)', (ip, why) => {
    expect(refusedAddress(ip)).toBe(why);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
  ])('given public %s, then it is allowed', (ip) => {
    expect(refusedAddress(ip)).toBeNull();
  });

  it('given URLs, then only http(s) without credentials pass', () => {
    expect(webhookUrlProblem('https://hooks.example.com/x')).toBeNull();
    expect(webhookUrlProblem('http://hooks.example.com:8080/x')).toBeNull();
    expect(webhookUrlProblem('ftp://hooks.example.com/x')).toBe('must be http(s)');
    expect(webhookUrlProblem('file:///etc/passwd')).toBe('must be http(s)');
    expect(webhookUrlProblem('https://u:p@hooks.example.com/')).toBe('must not carry credentials');
    expect(webhookUrlProblem('not a url')).toBe('is not a URL');
  });
});

describe('the retry schedule', () => {
  const schedule = [5, 30, 120];

  it('given failures along the schedule, then each delay is its step within ±20 %', () => {
    expect(retryDelayMs(1, schedule, null, 0)).toBe(4_000);
    expect(retryDelayMs(1, schedule, null, 1)).toBe(6_000);
    expect(retryDelayMs(2, schedule, null, 0.5)).toBe(30_000);
    expect(retryDelayMs(3, schedule, null, 0.5)).toBe(120_000);
  });

  it('given the schedule spent, then no more retries', () => {
    expect(retryDelayMs(4, schedule, null, 0.5)).toBeNull();
    expect(retryDelayMs(0, schedule, null, 0.5)).toBeNull();
  });

  it('given Retry-After, then it is honoured from 1 s up to the longest step or an hour', () => {
    expect(retryDelayMs(1, schedule, 60_000, 0.5)).toBe(60_000);
    expect(retryDelayMs(1, schedule, 0, 0.5)).toBe(1_000);
    expect(retryDelayMs(1, [1, 1], 3_000, 0.5)).toBe(3_000);
    expect(retryDelayMs(1, schedule, 86_400_000, 0.5)).toBe(3_600_000);
    expect(retryDelayMs(1, [5, 7_200], 86_400_000, 0.5)).toBe(7_200_000);
    expect(retryDelayMs(4, schedule, 60_000, 0.5)).toBeNull();
  });

  it('given Retry-After headers, then seconds and HTTP dates are read', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('given statuses, then only 2xx delivers and 410 disables', () => {
    expect([200, 204, 299].map(deliveryVerdict)).toEqual(['delivered', 'delivered', 'delivered']);
    expect([301, 400, 429, 500, 503].map(deliveryVerdict)).toEqual(Array(5).fill('retry'));
    expect(deliveryVerdict(410)).toBe('gone');
  });

  it('given schedule text, then whole seconds are parsed and nonsense refused', () => {
    expect(parseRetrySchedule('5, 30,120')).toEqual([5, 30, 120]);
    expect(() => parseRetrySchedule('5,x')).toThrow();
    expect(() => parseRetrySchedule('0')).toThrow();
  });
});
