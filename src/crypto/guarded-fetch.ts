/**
 * The only way the verifier reaches the network (did:web documents, https key ids and controller documents,
 * other issuers' status lists): an SSRF-guarded JSON GET (security row T7). Outbound webhooks use the same guard
 * as a POST (`createGuardedPost`, below: its own address rule, 10 s, 64 KiB of answer read and ignored).
 *
 * - https only; http is accepted only for an address on the test allowlist.
 * - The host name is resolved once, every resolved address must be public unicast (no loopback, private,
 *   link-local — the cloud metadata address 169.254.169.254 included —, unique-local, CGNAT, multicast,
 *   reserved…), and the connection goes to the checked address (the check is in the socket's `lookup`, so a
 *   DNS answer cannot change between check and connect). IP literals are checked the same way.
 * - No redirects (a 3xx is an error), 5 s for the whole exchange, 1 MiB body cap, JSON only (prototype keys refused).
 * - A small TTL cache of successful answers (honours `Cache-Control: max-age` up to the TTL, and `no-store`).
 *
 * Callers decide *when* to fetch: the verifier calls it only for what cannot be checked locally and, for
 * status lists and controller documents, only after the signature checked out.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import sjson from 'secure-json-parse';

export type GuardedFetchErrorCode =
  | 'FETCH_URL_INVALID'
  | 'FETCH_NOT_HTTPS'
  | 'FETCH_BLOCKED_ADDRESS'
  | 'FETCH_DNS_FAILED'
  | 'FETCH_TIMEOUT'
  | 'FETCH_TOO_LARGE'
  | 'FETCH_REDIRECT'
  | 'FETCH_HTTP_STATUS'
  | 'FETCH_NOT_JSON'
  | 'FETCH_FAILED';

export class GuardedFetchError extends Error {
  override readonly name = 'GuardedFetchError';
  constructor(
    readonly code: GuardedFetchErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** GET a JSON document; resolves with the parsed value (a fresh copy) or rejects with a `GuardedFetchError`. */
export type GuardedFetch = (url: string) => Promise<unknown>;

export interface GuardedFetchOptions {
  /** Whole-exchange timeout (default 5,000 ms). */
  timeoutMs?: number;
  /** Body cap in bytes (default 1 MiB). */
  maxBytes?: number;
  /** Cache lifetime of a successful answer (default 60 s; `max-age` can only shorten it). 0 disables the cache. */
  cacheTtlMs?: number;
  /** Cached entries kept at most (default 256, oldest evicted first). */
  cacheMaxEntries?: number;
  /**
   * TESTS ONLY: addresses (or CIDR ranges) that may be reached although not public, e.g. `['127.0.0.1']` for a
   * loopback fixture server. Plain http is accepted only towards these addresses.
   */
  allow?: string[];
  /** Clock for the cache (ms). */
  now?: () => number;
  /** DNS resolver (tests use a fake one: nothing in the test suite touches real DNS). */
  lookup?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

export const FETCH_TIMEOUT_MS = 5_000;
export const FETCH_MAX_BYTES = 1024 * 1024;

/** True when the address is public unicast (what the guard lets through without an allowlist). */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  const addr = ipaddr.process(ip); // IPv4-mapped IPv6 → IPv4
  return addr.range() === 'unicast';
}

function allowMatcher(list: string[] | undefined): (ip: string) => boolean {
  if (!list?.length) return () => false;
  const ranges = list.map((entry) =>
    entry.includes('/')
      ? ipaddr.parseCIDR(entry)
      : (() => {
          const a = ipaddr.process(entry);
          return [a, a.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
        })(),
  );
  return (ip: string) => {
    if (!ipaddr.isValid(ip)) return false;
    const addr = ipaddr.process(ip);
    return ranges.some(([range, bits]) => addr.kind() === range.kind() && addr.match(range as never, bits));
  };
}

/** Cloud metadata endpoints: refused by every guard, whatever the configuration. */
const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200'];
/** Ranges a webhook may reach only when private networks are allowed (development and tests). */
const PRIVATE_RANGES = new Set(['private', 'loopback', 'linkLocal', 'uniqueLocal', 'carrierGradeNat']);

export function isMetadataAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  const addr = ipaddr.process(ip);
  return METADATA_ADDRESSES.some((m) => {
    const other = ipaddr.process(m);
    return other.kind() === addr.kind() && other.toNormalizedString() === addr.toNormalizedString();
  });
}

/**
 * The webhook address check: public unicast always; private, loopback, link-local, unique-local and CGNAT only
 * with `allowPrivateNetworks`; cloud metadata, unspecified, multicast, broadcast and reserved addresses never.
 */
export function isWebhookAddressAllowed(ip: string, allowPrivateNetworks: boolean): boolean {
  if (!ipaddr.isValid(ip) || isMetadataAddress(ip)) return false;
  const range = ipaddr.process(ip).range();
  return range === 'unicast' || (allowPrivateNetworks && PRIVATE_RANGES.has(range));
}

const systemLookup = async (hostname: string) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** Where a guarded request may connect: shared by the verifier's GET and the webhooks' POST. */
interface AddressPolicy {
  /** The address may be connected to. */
  permitted(ip: string): boolean;
  /** Plain http is acceptable towards this (permitted) address. */
  httpAllowed(ip: string): boolean;
  /** Plain http is acceptable towards some names (checked again on the resolved addresses). */
  httpForNames: boolean;
}

/** Parses and checks a URL before any DNS or socket: scheme, credentials, IP literals. */
function checkUrl(raw: string, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GuardedFetchError('FETCH_URL_INVALID', 'not a URL');
  }
  if (url.username || url.password) throw new GuardedFetchError('FETCH_URL_INVALID', 'credentials in URL');
  url.hash = '';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new GuardedFetchError('FETCH_NOT_HTTPS', `${url.protocol} refused`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) {
    if (!policy.permitted(host)) throw new GuardedFetchError('FETCH_BLOCKED_ADDRESS', `non-public address ${host}`);
    if (url.protocol === 'http:' && !policy.httpAllowed(host)) throw new GuardedFetchError('FETCH_NOT_HTTPS', 'http refused');
  } else if (url.protocol === 'http:' && !policy.httpForNames) {
    throw new GuardedFetchError('FETCH_NOT_HTTPS', 'http refused');
  }
  return url;
}

interface Exchange {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
  /** `fail`: a body over maxBytes is an error; `truncate`: keep the first maxBytes and stop reading. */
  overflow: 'fail' | 'truncate';
  /** Decides on the status line before the body is read; an error ends the exchange. */
  checkStatus?: (status: number) => GuardedFetchError | undefined;
  resolve: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

interface ExchangeResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One guarded HTTP exchange: the host name is resolved once and every address checked inside the socket's
 * `lookup` (no gap between check and connect), no redirects followed, one deadline for the whole exchange.
 */
function exchange(url: URL, policy: AddressPolicy, options: Exchange): Promise<ExchangeResult> {
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const fail = (err: GuardedFetchError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const succeed = (result: ExchangeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolvePromise(result);
    };
    const lookup: net.LookupFunction = (hostname, opts, callback) => {
      options
        .resolve(hostname)
        .then((addresses) => {
          if (!addresses.length) throw new GuardedFetchError('FETCH_DNS_FAILED', `no address for ${hostname}`);
          const bad = addresses.find((a) => !policy.permitted(a.address));
          if (bad) throw new GuardedFetchError('FETCH_BLOCKED_ADDRESS', `${hostname} resolves to a non-public address (${bad.address})`);
          if (url.protocol === 'http:' && !addresses.every((a) => policy.httpAllowed(a.address))) {
            throw new GuardedFetchError('FETCH_NOT_HTTPS', 'http is only allowed towards allowlisted test addresses');
          }
          if ((opts as dns.LookupOptions).all) callback(null, addresses);
          else callback(null, addresses[0]!.address, addresses[0]!.family);
        })
        .catch((err: unknown) => {
          const e = err instanceof GuardedFetchError ? err : new GuardedFetchError('FETCH_DNS_FAILED', `cannot resolve ${hostname}`);
          fail(e);
          callback(e as NodeJS.ErrnoException, '', 4);
        });
    };
    const requestOptions: https.RequestOptions = {
      method: options.method,
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers: options.body === undefined ? options.headers : { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
      agent: false,
      lookup,
      timeout: options.timeoutMs,
    };
    const req = (url.protocol === 'https:' ? https : http).request(requestOptions, (res) => {
      const status = res.statusCode ?? 0;
      const statusError = options.checkStatus?.(status);
      if (statusError) return fail(statusError);
      const tooLarge = () => new GuardedFetchError('FETCH_TOO_LARGE', `body over ${options.maxBytes} bytes`);
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > options.maxBytes && options.overflow === 'fail') return fail(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > options.maxBytes) {
          if (options.overflow === 'fail') return fail(tooLarge());
          chunks.push(chunk.subarray(0, chunk.length - (size - options.maxBytes)));
          succeed({ status, headers: res.headers, body: Buffer.concat(chunks) });
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', () => fail(new GuardedFetchError('FETCH_FAILED', 'connection error')));
      res.on('end', () => succeed({ status, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    const timer = setTimeout(() => fail(new GuardedFetchError('FETCH_TIMEOUT', `no complete answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('timeout', () => fail(new GuardedFetchError('FETCH_TIMEOUT', `no complete answer within ${options.timeoutMs} ms`)));
    req.on('error', (err) => fail(err instanceof GuardedFetchError ? err : new GuardedFetchError('FETCH_FAILED', 'connection failed')));
    req.end(options.body);
  });
}

function maxAgeMs(cacheControl: string | undefined): number | undefined {
  if (!cacheControl) return undefined;
  if (/\b(no-store|no-cache|private)\b/i.test(cacheControl)) return 0;
  const m = /\bmax-age=(\d+)/i.exec(cacheControl);
  return m ? Number(m[1]) * 1000 : undefined;
}

export function createGuardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? FETCH_MAX_BYTES;
  const ttl = options.cacheTtlMs ?? 60_000;
  const maxEntries = options.cacheMaxEntries ?? 256;
  const now = options.now ?? Date.now;
  const isAllowed = allowMatcher(options.allow);
  const resolve = options.lookup ?? systemLookup;
  const cache = new Map<string, { expires: number; value: unknown }>();
  const policy: AddressPolicy = {
    permitted: (ip) => isPublicAddress(ip) || isAllowed(ip),
    httpAllowed: isAllowed,
    httpForNames: Boolean(options.allow?.length),
  };

  async function get(url: URL): Promise<{ value: unknown; cacheControl: string | undefined }> {
    const res = await exchange(url, policy, {
      method: 'GET',
      headers: { accept: 'application/did+ld+json, application/ld+json, application/json;q=0.9', 'user-agent': 'Sceau-verifier' },
      timeoutMs,
      maxBytes,
      overflow: 'fail',
      resolve,
      checkStatus: (status) => {
        if (status >= 300 && status < 400) return new GuardedFetchError('FETCH_REDIRECT', `redirect (${status}) refused`);
        if (status < 200 || status >= 300) return new GuardedFetchError('FETCH_HTTP_STATUS', `HTTP ${status}`);
        return undefined;
      },
    });
    let value: unknown;
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(res.body);
      value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      throw new GuardedFetchError('FETCH_NOT_JSON', 'the answer is not JSON');
    }
    const cacheControl = res.headers['cache-control'];
    return { value, cacheControl: Array.isArray(cacheControl) ? cacheControl.join(', ') : cacheControl };
  }

  return async (raw: string) => {
    const url = checkUrl(raw, policy);
    const key = url.href;
    const hit = cache.get(key);
    if (hit && hit.expires > now()) return structuredClone(hit.value);
    if (hit) cache.delete(key);
    const { value, cacheControl } = await get(url);
    const life = Math.min(ttl, maxAgeMs(cacheControl) ?? ttl);
    if (life > 0) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(key, { expires: now() + life, value });
    }
    return structuredClone(value);
  };
}

// ---- Guarded POST (outbound webhooks) ----------------------------------------------------------------

/** POSTs a body; resolves with the HTTP status (any status, redirects not followed) or rejects with a `GuardedFetchError`. */
export type GuardedPost = (url: string, body: string, headers: Record<string, string>) => Promise<{ status: number }>;

/** Which non-public webhook targets the operator allows (WEBHOOKS_ALLOWED_PRIVATE_CIDRS, WEBHOOKS_ALLOW_PRIVATE_NETWORKS). */
export interface WebhookTargetOptions {
  /** Private, loopback, link-local, unique-local and CGNAT targets (and plain http) allowed: development and tests only. */
  allowPrivateNetworks?: boolean;
  /** Only these private/loopback/link-local ranges (CIDRs or addresses) allowed, plain http included towards them. */
  allowedPrivateCidrs?: string[];
}

/**
 * The webhooks' address policy: public unicast always; a private, loopback, link-local, unique-local or CGNAT address
 * when every private network is allowed or its range is listed; cloud metadata and reserved addresses never.
 */
function webhookPolicy(options: WebhookTargetOptions): AddressPolicy {
  const all = options.allowPrivateNetworks ?? false;
  const listed = allowMatcher(options.allowedPrivateCidrs);
  return {
    permitted: (ip) => isWebhookAddressAllowed(ip, all || listed(ip)),
    httpAllowed: (ip) => all || listed(ip),
    httpForNames: all || Boolean(options.allowedPrivateCidrs?.length),
  };
}

/**
 * The check made when a webhook is created (same policy as its deliveries): the host name is resolved (IP literals
 * as they are) and the first address the policy refuses is returned; undefined when every address is allowed, or
 * when the name does not resolve now (each delivery resolves and checks again).
 */
export type WebhookTargetCheck = (url: string) => Promise<string | undefined>;

export function createWebhookTargetCheck(
  options: WebhookTargetOptions & { lookup?: GuardedPostOptions['lookup']; timeoutMs?: number } = {},
): WebhookTargetCheck {
  const policy = webhookPolicy(options);
  const resolve = options.lookup ?? systemLookup;
  const timeoutMs = options.timeoutMs ?? 3_000;
  return async (raw) => {
    let host: string;
    try {
      host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return undefined;
    }
    let addresses: string[];
    if (net.isIP(host)) addresses = [host];
    else {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        });
        addresses = (await Promise.race([resolve(host), timeout])).map((a) => a.address);
      } catch {
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    }
    return addresses.find((a) => !policy.permitted(a));
  };
}

export interface GuardedPostOptions extends WebhookTargetOptions {
  /** Whole-exchange timeout (default 10 s). */
  timeoutMs?: number;
  /** Response bytes read at most, then ignored (default 64 KiB). */
  maxResponseBytes?: number;
  /** DNS resolver (tests use a fake one). */
  lookup?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

export const POST_TIMEOUT_MS = 10_000;
export const POST_MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The webhooks' network access: an SSRF-guarded POST with the same address checks as the verifier's GET (names
 * resolved once and checked in the socket's lookup, IP literals checked before anything), no redirects, 10 s for the
 * whole exchange, response body read up to 64 KiB and ignored. https only, except towards allowed private networks.
 */
export function createGuardedPost(options: GuardedPostOptions = {}): GuardedPost {
  const policy = webhookPolicy(options);
  const resolve = options.lookup ?? systemLookup;
  return async (raw, body, headers) => {
    const url = checkUrl(raw, policy);
    const res = await exchange(url, policy, {
      method: 'POST',
      headers,
      body,
      resolve,
      overflow: 'truncate',
      timeoutMs: options.timeoutMs ?? POST_TIMEOUT_MS,
      maxBytes: options.maxResponseBytes ?? POST_MAX_RESPONSE_BYTES,
    });
    return { status: res.status };
  };
}
