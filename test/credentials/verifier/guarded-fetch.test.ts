/**
 * The SSRF-guarded fetcher (T7): resolved addresses checked (loopback, private, link-local, metadata, unique
 * local, CGNAT refused unless a test allowlist permits), no redirects, 5 s timeout, 1 MiB cap, https only (http
 * only towards allowlisted loopback), small TTL cache. A loopback server counts connections; DNS is faked, so
 * nothing here leaves the machine.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FETCH_MAX_BYTES, FETCH_TIMEOUT_MS, GuardedFetchError, createGuardedFetch, isPublicAddress } from '../../../src/crypto/guarded-fetch.js';

let server: http.Server;
let base: string;
let connections = 0;
let hits = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits += 1;
    const url = req.url ?? '/';
    if (url === '/doc') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'ok', n: hits }));
    if (url === '/short') return res.writeHead(200, { 'cache-control': 'max-age=1' }).end(JSON.stringify({ n: hits }));
    if (url === '/nostore') return res.writeHead(200, { 'cache-control': 'no-store' }).end(JSON.stringify({ n: hits }));
    if (url === '/redirect') return res.writeHead(302, { location: '/doc' }).end();
    if (url === '/notfound') return res.writeHead(404).end('{}');
    if (url === '/html') return res.writeHead(200).end('<html></html>');
    if (url === '/proto') return res.writeHead(200).end('{"__proto__":{"polluted":1}}');
    if (url === '/big') return res.writeHead(200).end(`{"a":"${'x'.repeat(FETCH_MAX_BYTES + 10)}"}`);
    if (url === '/big-chunked') {
      res.writeHead(200);
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const push = () => {
        if (sent > FETCH_MAX_BYTES * 2 || res.destroyed) return res.end();
        sent += chunk.length;
        res.write(chunk, push);
      };
      res.write('{"a":"', push);
      return;
    }
    if (url === '/slow') {
      setTimeout(() => res.writeHead(200).end('{}'), 1_000);
      return;
    }
    res.writeHead(500).end();
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return err instanceof GuardedFetchError ? err.code : `other: ${String(err)}`;
  }
}

const fakeDns = (table: Record<string, string[]>) => async (host: string) => {
  const list = table[host];
  if (!list) throw new Error('ENOTFOUND');
  return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('address checks', () => {
  it('only public unicast addresses pass', () => {
    for (const ip of [
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '10.0.0.5',
      '172.16.3.4',
      '192.168.1.1',
      '169.254.169.254',
      'fd00:ec2::254',
      'fe80::1',
      '100.64.0.1',
      '0.0.0.0',
      '::',
      '224.0.0.1',
      '255.255.255.255',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '192.0.2.1',
      '198.18.0.1',
      'not an ip',
    ]) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(ip), ip).toBe(true);
  });

  it('refuses loopback, private, link-local and metadata targets without connecting', async () => {
    const before = connections;
    const fetchJson = createGuardedFetch({
      lookup: fakeDns({
        'loop.test': ['127.0.0.1'],
        'meta.test': ['169.254.169.254'],
        'lan.test': ['10.1.2.3'],
        'v6.test': ['::1'],
        'ula.test': ['fd00:ec2::254'],
        'mixed.test': ['93.184.216.34', '127.0.0.1'],
        'mapped.test': ['::ffff:127.0.0.1'],
      }),
    });
    const port = (server.address() as AddressInfo).port;
    for (const host of ['loop.test', 'meta.test', 'lan.test', 'v6.test', 'ula.test', 'mixed.test', 'mapped.test']) {
      expect(await codeOf(fetchJson(`https://${host}:${port}/doc`)), host).toBe('FETCH_BLOCKED_ADDRESS');
    }
    for (const literal of ['127.0.0.1', '[::1]', '169.254.169.254', '10.0.0.1']) {
      expect(await codeOf(fetchJson(`https://${literal}:${port}/doc`)), literal).toBe('FETCH_BLOCKED_ADDRESS');
    }
    expect(await codeOf(fetchJson(`${base}/doc`))).toBe('FETCH_BLOCKED_ADDRESS');
    expect(await codeOf(fetchJson('https://nowhere.test/doc'))).toBe('FETCH_DNS_FAILED');
    expect(connections).toBe(before);
  });

  it('https only: http, file, data and ftp URLs are refused; so are credentials in URLs', async () => {
    const fetchJson = createGuardedFetch({ lookup: fakeDns({ 'public.test': ['93.184.216.34'] }) });
    expect(await codeOf(fetchJson('http://public.test/doc'))).toBe('FETCH_NOT_HTTPS');
    expect(await codeOf(fetchJson('file:///etc/passwd'))).toBe('FETCH_NOT_HTTPS');
    expect(await codeOf(fetchJson('data:application/json,{}'))).toBe('FETCH_NOT_HTTPS');
    expect(await codeOf(fetchJson('ftp://public.test/x'))).toBe('FETCH_NOT_HTTPS');
    expect(await codeOf(fetchJson('https://user:pw@public.test/x'))).toBe('FETCH_URL_INVALID');
    expect(await codeOf(fetchJson('not a url'))).toBe('FETCH_URL_INVALID');
  });

  it('defaults: 5 s timeout and 1 MiB cap', () => {
    expect(FETCH_TIMEOUT_MS).toBe(5_000);
    expect(FETCH_MAX_BYTES).toBe(1024 * 1024);
  });
});

describe('with the test allowlist (loopback fixture server)', () => {
  const allowed = () => createGuardedFetch({ allow: ['127.0.0.1'], lookup: fakeDns({ 'fixture.test': ['127.0.0.1'], 'other.test': ['127.0.0.2'] }) });

  it('fetches JSON over http from an allowlisted address (IP literal or resolved name), and nothing else', async () => {
    const fetchJson = allowed();
    expect(await fetchJson(`${base}/doc`)).toMatchObject({ id: 'ok' });
    const port = (server.address() as AddressInfo).port;
    expect(await fetchJson(`http://fixture.test:${port}/doc`)).toMatchObject({ id: 'ok' });
    expect(await codeOf(fetchJson(`http://other.test:${port}/doc`))).toBe('FETCH_BLOCKED_ADDRESS');
  });

  it('no redirects, HTTP errors, not JSON, prototype keys', async () => {
    const fetchJson = allowed();
    expect(await codeOf(fetchJson(`${base}/redirect`))).toBe('FETCH_REDIRECT');
    expect(await codeOf(fetchJson(`${base}/notfound`))).toBe('FETCH_HTTP_STATUS');
    expect(await codeOf(fetchJson(`${base}/html`))).toBe('FETCH_NOT_JSON');
    expect(await codeOf(fetchJson(`${base}/proto`))).toBe('FETCH_NOT_JSON');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('body cap: declared and streamed bodies over the limit', async () => {
    const fetchJson = allowed();
    expect(await codeOf(fetchJson(`${base}/big`))).toBe('FETCH_TOO_LARGE');
    expect(await codeOf(fetchJson(`${base}/big-chunked`))).toBe('FETCH_TOO_LARGE');
  });

  it('timeout', async () => {
    const fetchJson = createGuardedFetch({ allow: ['127.0.0.1'], timeoutMs: 150 });
    const started = Date.now();
    expect(await codeOf(fetchJson(`${base}/slow`))).toBe('FETCH_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('TTL cache: answers are reused until they expire; max-age shortens, no-store disables; copies are returned', async () => {
    let now = 1_000_000;
    const fetchJson = createGuardedFetch({ allow: ['127.0.0.1'], cacheTtlMs: 60_000, now: () => now });
    const first = (await fetchJson(`${base}/doc`)) as { n: number };
    (first as Record<string, unknown>)['mutated'] = true;
    const again = (await fetchJson(`${base}/doc`)) as Record<string, unknown>;
    expect(again['n']).toBe(first.n);
    expect(again['mutated']).toBeUndefined();
    now += 60_001;
    expect(((await fetchJson(`${base}/doc`)) as { n: number }).n).not.toBe(first.n);
    const s1 = (await fetchJson(`${base}/short`)) as { n: number };
    expect(((await fetchJson(`${base}/short`)) as { n: number }).n).toBe(s1.n);
    now += 1_001;
    expect(((await fetchJson(`${base}/short`)) as { n: number }).n).not.toBe(s1.n);
    const n1 = (await fetchJson(`${base}/nostore`)) as { n: number };
    expect(((await fetchJson(`${base}/nostore`)) as { n: number }).n).not.toBe(n1.n);
  });
});
