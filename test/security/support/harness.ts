/**
 * Shared fixtures for the security battery (Z1, Z2, Z3, F1, F6): a seeded world with two organisations,
 * principals as cookie/API-key clients, the authorization matrix, and DB snapshots through better-sqlite3.
 *
 * Every request goes through `app.inject` with its own remote address, so the per-IP backstop rate limit
 * (RATE_LIMIT_PER_MINUTE, 600 by default) never turns a check into a 429 whatever the test config says.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { issueOpenBadge } from '../../../src/domain/credentials/issue-credentials.js';
import { createOrganization } from '../../../src/domain/organizations/manage-organizations.js';
import { cookieNames } from '../../../src/http/plugins/context.js';
import { uploadImage } from '../../../src/domain/templates/images.js';
import { issueBatch } from '../../../src/domain/issuance/issue-batch.js';
import { createImport, publishJob } from '../../../src/domain/issuance/import-spreadsheet.js';
import { runIssuancePart } from '../../../src/domain/issuance/run-issuance-job.js';
import { setAwardStatus } from '../../../src/domain/credentials/manage-credentials.js';
import type { Template } from '../../../src/domain/templates/model.js';
import { receiveResults, saveTemplateRules, validateResults } from '../../../src/domain/issuance/issue-from-results.js';
import { createTemplate, setTemplateArchived } from '../../../src/domain/templates/manage-templates.js';
import { createWebhook, deleteWebhook } from '../../../src/domain/webhooks/manage-webhooks.js';
import { TEST_PASSWORD, type TestApp, createTestApp } from '../../support/app.js';
import { type CapturedRoute, routeTable } from './route-capture.js';
import { solidPng } from '../../images/fixtures.js';
import { TEMPLATE_INPUT, csvOf } from '../../templates/support.js';
import type { User } from '../../../src/domain/accounts/model.js';
import type { Organization, Role } from '../../../src/domain/organizations/model.js';
import { emitOrgEvent } from '../../../src/domain/webhooks/emit-event.js';
import { addMember } from '../../../src/domain/organizations/manage-members.js';
import { inviteMember } from '../../../src/domain/organizations/invitations.js';
import { createApiKey } from '../../../src/domain/organizations/api-keys.js';
import { createSession } from '../../../src/domain/accounts/sign-in.js';

// ---- The authorization matrix ------------------------------------------------------------------------

export const PRINCIPALS = ['anonymous', 'learner', 'reviewer', 'staff', 'admin', 'platformAdmin', 'apiKey'] as const;
export type Principal = (typeof PRINCIPALS)[number];
export const OUTCOMES = ['allow', '401', '403', '404'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface MatrixEntry {
  kind: 'page' | 'form' | 'api' | 'docs' | 'static' | 'health';
  /** Path parameters that name a resource, with the resource kind. */
  ids: Record<string, string>;
  expect: Record<Principal, Outcome>;
}
export interface Matrix {
  principals: Record<Principal, string>;
  routes: Record<string, MatrixEntry>;
}

export const MATRIX_FILE = new URL('../../authz-matrix.json', import.meta.url);
export function loadMatrix(): Matrix {
  return JSON.parse(fs.readFileSync(MATRIX_FILE, 'utf8')) as Matrix;
}

/**
 * The class of a response, in the matrix's vocabulary (anything else is returned as `status:<n>`, and a
 * redirect to the sign-in page as `redirect-signin`: signed-in pages answer 401 with the form instead).
 */
export function outcomeOf(res: LightMyRequestResponse): string {
  const location = String(res.headers.location ?? '');
  if (res.statusCode >= 300 && res.statusCode < 400 && location.startsWith('/signin')) return 'redirect-signin';
  if (res.statusCode === 401 || res.statusCode === 403 || res.statusCode === 404) return String(res.statusCode);
  if (res.statusCode >= 200 && res.statusCode < 400) return 'allow';
  return `status:${res.statusCode}`;
}

export const pathParams = (url: string): string[] => [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

export function fillPath(url: string, params: Record<string, string>): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`no value for :${name} in ${url}`);
    return encodeURIComponent(v);
  });
}

// ---- Clients -----------------------------------------------------------------------------------------

let addressCounter = 0;
/** A distinct client address per request (10.0.0.0/8), so the per-IP rate limit never interferes. */
export function nextAddress(): string {
  addressCounter += 1;
  const n = addressCounter;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export interface Req {
  method: string;
  url: string;
  /** A form body (application/x-www-form-urlencoded); `_csrf` is added unless `csrf` is null. */
  form?: Record<string, string | string[]>;
  /** A JSON body; on web routes `_csrf` is added to an object body unless `csrf` is null. */
  json?: unknown;
  /** A multipart/form-data body (uploads): text fields (`_csrf` added unless `csrf` is null) and at most one file. */
  multipart?: Multipart;
  /** Raw bytes or text, sent as is (no CSRF added). */
  payload?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** 'auto' (default): the session's valid token; a string: that token; null: none. */
  csrf?: 'auto' | string | null;
}

export interface Multipart {
  fields: Record<string, string | string[]>;
  file?: { field: string; filename: string; content: Buffer; type?: string };
}

/** A multipart/form-data body: the bytes and the content type with its boundary. */
export function multipartBody(m: Multipart, boundary = `----sceau${randomBytes(8).toString('hex')}`): { payload: Buffer; contentType: string } {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(m.fields)) {
    for (const x of ([] as string[]).concat(v)) parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${x}\r\n`));
  }
  if (m.file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${m.file.field}"; filename="${m.file.filename}"\r\ncontent-type: ${m.file.type ?? 'application/octet-stream'}\r\n\r\n`,
      ),
    );
    parts.push(m.file.content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The JSON APIs: /api/v1 and the W3C VC-API at the root (Bearer key or none, JSON, no CSRF). */
export const isApiPath = (url: string) => url.startsWith('/api/') || /^\/(credentials|presentations)\//.test(url);

export class Client {
  readonly cookies = new Map<string, string>();
  bearer: string | undefined;
  private csrfToken: string | undefined;

  constructor(
    readonly app: FastifyInstance,
    readonly label: string,
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private absorb(res: LightMyRequestResponse): void {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      if (c.maxAge === 0 || c.value === '' || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }

  /** The CSRF token the server embeds in this client's forms (read from the sign-in page; GET, no writes). */
  async csrf(): Promise<string> {
    if (this.csrfToken) return this.csrfToken;
    const res = await this.send({ method: 'GET', url: '/signin' });
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (!m?.[1]) throw new Error(`no CSRF token for ${this.label} (status ${res.statusCode})`);
    this.csrfToken = m[1];
    return m[1];
  }

  async send(req: Req): Promise<LightMyRequestResponse> {
    const wantsCsrf = req.csrf !== null && !isApiPath(req.url) && (req.form !== undefined || req.json !== undefined || req.multipart !== undefined);
    // Fetched first: for a visitor, reading the token sets the pre-session cookie the request must carry.
    const token = wantsCsrf ? (typeof req.csrf === 'string' && req.csrf !== 'auto' ? req.csrf : await this.csrf()) : undefined;
    const headers: Record<string, string> = {};
    if (!isApiPath(req.url)) headers['accept'] = 'text/html';
    if (this.cookies.size) headers['cookie'] = this.cookieHeader();
    if (this.bearer) headers['authorization'] = `Bearer ${this.bearer}`;
    let payload: string | Buffer | undefined;
    if (req.form) {
      const params = new URLSearchParams();
      if (token !== undefined) params.append('_csrf', token);
      for (const [k, v] of Object.entries(req.form)) for (const x of ([] as string[]).concat(v)) params.append(k, x);
      payload = params.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (req.json !== undefined) {
      const body =
        token !== undefined && req.json && typeof req.json === 'object' && !Array.isArray(req.json)
          ? { _csrf: token, ...(req.json as Record<string, unknown>) }
          : req.json;
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    } else if (req.multipart !== undefined) {
      const body = multipartBody({ ...req.multipart, fields: token !== undefined ? { _csrf: token, ...req.multipart.fields } : req.multipart.fields });
      payload = body.payload;
      headers['content-type'] = body.contentType;
    } else if (req.payload !== undefined) {
      payload = req.payload;
    }
    if (req.contentType !== undefined) headers['content-type'] = req.contentType;
    const res = await this.app.inject({
      method: req.method as 'GET',
      url: req.url,
      payload,
      remoteAddress: nextAddress(),
      headers: { ...headers, ...req.headers },
    });
    this.absorb(res);
    return res;
  }
}

// ---- The seeded world --------------------------------------------------------------------------------

export const USER_KEYS = ['adminA', 'staffA', 'reviewerA', 'targetA', 'adminB', 'staffB', 'reviewerB', 'l1', 'l2', 'pa', 'resetUser', 'signInUser'] as const;
export type UserKey = (typeof USER_KEYS)[number];

export type OrgKey = 'A' | 'B';

/** A credential issued from a template (an award): its row id, its public id (bare UUID) and its holder-link token. */
export interface IssuedRef {
  id: string;
  credentialId: string;
  token: string;
}

/** One of each resource of issue 5, per organisation. */
export interface OrgResources {
  /** Active, with the organisation's image; never archived or edited by the battery (throwaways are). */
  template: Template;
  imageId: string;
  /** Issued to L1's (org A) / L2's (org B) verified address: it went straight into that account. */
  award: IssuedRef;
  webhookId: string;
  /** A delivery of that webhook, dead after its attempts. */
  deadDeliveryId: string;
  /** A draft bulk job (CSV) with rows 2 and 4 valid and row 3 invalid (bad e-mail). */
  draftJob: { id: string; invalidRowNo: number; validRowNo: number };
  /** A bulk job published and run to completion (2 rows issued). */
  completedJob: { id: string };
}

/** Id kinds of test/authz-matrix.json (`ids` values) that name a resource of an organisation. */
export const ID_KINDS = {
  organization: 'organization',
  invitation: 'invitation (of that organization)',
  apiKey: 'api_key (of that organization)',
  member: 'user (a member of that organization)',
  template: 'template (of that organization)',
  image: 'image (of that organization)',
  job: 'issuance_job (of that organization)',
  row: 'issuance_row (line number of a row of that job)',
  award: 'credential award (of that organization)',
  webhook: 'webhook (of that organization)',
  delivery: 'webhook_delivery (of that organization)',
} as const;

export interface World {
  t: TestApp;
  app: FastifyInstance;
  orgA: Organization;
  orgB: Organization;
  users: Record<UserKey, User>;
  /** Primary e-mail address of each seeded user. */
  address: Record<UserKey, string>;
  /** L1's and L2's e-mail ids: primary and a second verified address. */
  emails: { l1Primary: string; l1Second: string; l2Primary: string; l2Second: string };
  invitationA: string;
  invitationB: string;
  apiKeyA: { key: string; id: string };
  apiKeyB: { key: string; id: string };
  /** An outbox message (the invitation mail to org A). */
  mailId: string;
  /** A signed-in client for a seeded user, on a fresh session. */
  signIn(user: UserKey): Promise<Client>;
  anonymous(): Client;
  apiClient(key: string): Client;
  /** The client a matrix principal stands for (a fresh session each call). */
  principal(p: Principal): Promise<Client>;
  userOf(p: Principal): UserKey | undefined;
  /** A value that names nothing: same shape as the real id. */
  randomId(): string;
  randomSlug(length: number): string;
  uniqueEmail(tag?: string): string;
  // Prerequisites created directly in the store (own tokens and codes, no mail parsing).
  newInvitation(org: Organization, email: string, role?: Role): Promise<{ id: string; token: string }>;
  newResetToken(user: UserKey): Promise<string>;
  newSignupFlow(email: string): Promise<{ flow: string; code: string }>;
  newAddEmailFlow(user: UserKey, email: string): Promise<{ flow: string; code: string }>;
  newSecondEmail(user: UserKey): Promise<string>;
  newApiKey(org: Organization): Promise<{ key: string; id: string }>;
  newOrg(): Promise<Organization>;
  ensureMember(org: Organization, user: UserKey, role: Role): Promise<void>;
  primaryEmailId(user: UserKey): Promise<string>;
  // ---- Issue 5: templates, images, awards, bulk jobs, webhooks, results ----
  res: Record<OrgKey, OrgResources>;
  orgOf(o: OrgKey): Organization;
  /** The admin of the organisation, as a domain actor. */
  issuer(o: OrgKey): { kind: 'user'; userId: string; isPlatformAdmin: false; ip: null };
  /** A throwaway template (archived on request). */
  newTemplate(o: OrgKey, options?: { archived?: boolean }): Promise<Template>;
  /** A throwaway draft job of the seeded template; with `invalid`, row 3 is invalid (rows 2 and 4 valid). */
  newDraftJob(o: OrgKey, options?: { invalid?: boolean }): Promise<{ id: string; invalidRowNo: number; validRowNo: number }>;
  /** A throwaway credential of the seeded template, to a fresh address (no account); suspended on request. */
  newAward(o: OrgKey, options?: { status?: 'suspended' | 'revoked' }): Promise<IssuedRef>;
  /** Deletes the throwaway webhooks (keeps the seeded one), so the per-organisation limit is never reached. */
  pruneWebhooks(o: OrgKey): Promise<void>;
  newWebhook(o: OrgKey): Promise<string>;
  /** A fresh dead delivery of the seeded webhook. */
  newDeadDelivery(o: OrgKey): Promise<string>;
  /** A real id of that kind (matrix vocabulary) of the organisation. */
  idOf(kind: string, o: OrgKey): string;
  /** A value of the same shape that names nothing. */
  randomIdOf(kind: string): string;
  /** Real values of the organisation for every parameter of a route path (the `id` depends on the path). */
  paramsFor(url: string, o?: OrgKey): Record<string, string>;
}

/** The Z1/Z2 set-up: a test app with the seeded world, Fastify's route table and the authorisation matrix. */
export async function seedRouteWorld(): Promise<{ t: TestApp; w: World; routes: CapturedRoute[]; matrix: Matrix }> {
  const t = await createTestApp();
  const w = await seedWorld(t);
  return { t, w, routes: routeTable(t.app), matrix: loadMatrix() };
}

const system = { kind: 'system' } as const;

export async function seedWorld(t: TestApp): Promise<World> {
  const { deps } = t.container;
  const store = t.container.store;
  const orgA = await t.createOrg({ name: 'Org A', slug: 'org-a' });
  const orgB = await t.createOrg({ name: 'Org B', slug: 'org-b' });
  const specs: Record<UserKey, { org?: Organization; role?: Role; isPlatformAdmin?: boolean }> = {
    adminA: { org: orgA, role: 'admin' },
    staffA: { org: orgA, role: 'staff' },
    reviewerA: { org: orgA, role: 'reviewer' },
    targetA: { org: orgA, role: 'staff' },
    adminB: { org: orgB, role: 'admin' },
    staffB: { org: orgB, role: 'staff' },
    reviewerB: { org: orgB, role: 'reviewer' },
    l1: {},
    l2: {},
    pa: { isPlatformAdmin: true },
    resetUser: {},
    signInUser: {},
  };
  const users = {} as Record<UserKey, User>;
  const address = {} as Record<UserKey, string>;
  await Promise.all(
    USER_KEYS.map(async (k) => {
      address[k] = `${k.toLowerCase()}@example.org`;
      users[k] = await t.createUser({ email: address[k], name: `User ${k}`, ...specs[k] });
    }),
  );
  const now = () => deps.clock.now();
  const addEmail = async (user: UserKey, email: string) => {
    const id = deps.secrets.newId();
    await store.users.addEmail({ id, userId: users[user].id, email, isPrimary: false, verifiedAt: now(), createdAt: now() });
    return id;
  };
  const primaryEmailId = async (user: UserKey) => (await store.users.listEmails(users[user].id)).find((e) => e.isPrimary)!.id;
  const emails = {
    l1Primary: await primaryEmailId('l1'),
    l1Second: await addEmail('l1', 'l1.second@example.org'),
    l2Primary: await primaryEmailId('l2'),
    l2Second: await addEmail('l2', 'l2.second@example.org'),
  };
  const actorOf = (k: UserKey) => ({ kind: 'user' as const, userId: users[k].id, isPlatformAdmin: false, ip: null });
  const invitationA = (await inviteMember(deps, actorOf('adminA'), { slug: orgA.slug, email: 'invitee.a@example.org', role: 'staff' })).id;
  const invitationB = (await inviteMember(deps, actorOf('adminB'), { slug: orgB.slug, email: 'invitee.b@example.org', role: 'staff' })).id;
  const keyA = await createApiKey(deps, actorOf('adminA'), { slug: orgA.slug, label: 'Key A' });
  const keyB = await createApiKey(deps, actorOf('adminB'), { slug: orgB.slug, label: 'Key B' });
  const mailId = (await store.outbox.list(100)).find((m) => m.to === 'invitee.a@example.org')!.id;

  let counter = 0;
  const w: World = {
    t,
    app: t.app,
    orgA,
    orgB,
    users,
    address,
    emails,
    invitationA,
    invitationB,
    mailId,
    apiKeyA: { key: keyA.key, id: keyA.apiKey.id },
    apiKeyB: { key: keyB.key, id: keyB.apiKey.id },
    async signIn(user) {
      const { token } = await createSession(deps, users[user].id);
      const c = new Client(t.app, user);
      c.cookies.set(cookieNames(t.config.isSecure).session, token);
      return c;
    },
    anonymous: () => new Client(t.app, 'anonymous'),
    apiClient(key) {
      const c = new Client(t.app, 'apiKey');
      c.bearer = key;
      return c;
    },
    userOf(p) {
      return ({ learner: 'l1', reviewer: 'reviewerA', staff: 'staffA', admin: 'adminA', platformAdmin: 'pa' } as const)[p as 'learner'];
    },
    async principal(p) {
      if (p === 'anonymous') return w.anonymous();
      if (p === 'apiKey') return w.apiClient(w.apiKeyA.key);
      const c = await w.signIn(w.userOf(p)!);
      return Object.assign(c, { label: p });
    },
    randomId: () => deps.secrets.newId(),
    randomSlug: (length) => Array.from(randomBytes(length), (b) => 'abcdefghijklmnopqrstuvwxyz'[b % 26]).join(''),
    uniqueEmail: (tag = 'x') => `${tag}.${++counter}.${randomBytes(3).toString('hex')}@example.org`,
    async newInvitation(org, email, role = 'staff') {
      const token = deps.secrets.newToken();
      const id = deps.secrets.newId();
      await store.invitations.create({
        id,
        orgId: org.id,
        email,
        role,
        locale: 'fr',
        tokenHash: deps.secrets.hashToken(token),
        invitedBy: null,
        expiresAt: new Date(now().getTime() + 86_400_000),
        acceptedAt: null,
        revokedAt: null,
        createdAt: now(),
      });
      return { id, token };
    },
    async newResetToken(user) {
      const token = deps.secrets.newToken();
      await store.passwordResets.create({
        tokenHash: deps.secrets.hashToken(token),
        userId: users[user].id,
        expiresAt: new Date(now().getTime() + 600_000),
        createdAt: now(),
      });
      return token;
    },
    async newSignupFlow(email) {
      const flow = randomUUID();
      const code = String(100_000 + (randomBytes(3).readUIntBE(0, 3) % 900_000));
      await store.codes.create({
        id: flow,
        purpose: 'signup',
        email,
        userId: null,
        codeHash: deps.secrets.hashToken(code),
        payload: { displayName: 'New Person', passwordHash: users.l1.passwordHash, locale: 'fr' },
        expiresAt: new Date(now().getTime() + 600_000),
        createdAt: now(),
      });
      return { flow, code };
    },
    async newAddEmailFlow(user, email) {
      const flow = randomUUID();
      const code = String(100_000 + (randomBytes(3).readUIntBE(0, 3) % 900_000));
      await store.codes.create({
        id: flow,
        purpose: 'add_email',
        email,
        userId: users[user].id,
        codeHash: deps.secrets.hashToken(code),
        payload: null,
        expiresAt: new Date(now().getTime() + 600_000),
        createdAt: now(),
      });
      return { flow, code };
    },
    newSecondEmail: (user) => addEmail(user, w.uniqueEmail(user)),
    async newApiKey(org) {
      const k = await createApiKey(deps, system, { slug: org.slug, label: 'fixture' });
      return { key: k.key, id: k.apiKey.id };
    },
    newOrg: () => createOrganization(deps, system, { name: `Org ${++counter}`, slug: `org-c${counter}-${randomBytes(2).toString('hex')}` }),
    async ensureMember(org, user, role) {
      const m = await store.memberships.find(org.id, users[user].id);
      if (!m) await addMember(deps, system, { slug: org.slug, userId: users[user].id, role });
      else if (m.role !== role) await store.memberships.updateRole(org.id, users[user].id, role);
    },
    primaryEmailId,
    res: undefined as unknown as Record<OrgKey, OrgResources>,
    orgOf: (o) => (o === 'A' ? orgA : orgB),
    issuer: (o) => actorOf(o === 'A' ? 'adminA' : 'adminB') as { kind: 'user'; userId: string; isPlatformAdmin: false; ip: null },
    async newTemplate(o, options = {}) {
      const template = await createTemplate(deps, w.issuer(o), {
        slug: w.orgOf(o).slug,
        template: { ...TEMPLATE_INPUT, name: { fr: `Jetable ${++counter}`, en: `Throwaway ${counter}` } },
      });
      return options.archived ? setTemplateArchived(deps, w.issuer(o), { slug: w.orgOf(o).slug, id: template.id, archived: true }) : template;
    },
    async newDraftJob(o, options = {}) {
      const job = await createImport(deps, w.issuer(o), {
        slug: w.orgOf(o).slug,
        templateId: w.res[o].template.id,
        bytes: csvOf(3, options.invalid ? { bad: { 3: 'Mauvais;pas-un-courriel;A;' } } : {}),
        filename: 'cohorte.csv',
      });
      return { id: job.id, invalidRowNo: 3, validRowNo: 2 };
    },
    async newAward(o, options = {}) {
      const ref = await issueOne(o, { name: `Destinataire ${++counter}`, email: w.uniqueEmail('award') });
      if (options.status) await setAwardStatus(deps, w.issuer(o), { slug: w.orgOf(o).slug, id: ref.id, status: options.status, reason: 'fixture' });
      return ref;
    },
    async pruneWebhooks(o) {
      for (const hook of await store.webhooks.list(w.orgOf(o).id)) {
        if (hook.id !== w.res[o].webhookId) await deleteWebhook(deps, w.issuer(o), { slug: w.orgOf(o).slug, webhookId: hook.id });
      }
    },
    async newWebhook(o) {
      await w.pruneWebhooks(o);
      return (
        await createWebhook(deps, w.issuer(o), { slug: w.orgOf(o).slug, url: `https://hooks.example.org/throwaway/${++counter}`, events: ['job.completed'] })
      ).webhook.id;
    },
    async newDeadDelivery(o) {
      const org = w.orgOf(o);
      const before = new Set((await store.webhooks.listDeliveries(org.id, { limit: 1000 })).map((d) => d.id));
      await store.transaction((tx) => emitOrgEvent(tx, deps, { orgId: org.id, type: 'job.completed', data: { id: `fixture-${++counter}` } }));
      const fresh = (await store.webhooks.listDeliveries(org.id, { limit: 1000 })).filter((d) => !before.has(d.id));
      for (const d of fresh) {
        await store.webhooks.recordAttempt(d.id, 0, { status: 'dead', statusCode: 500, error: 'HTTP 500', nextAttemptAt: null, deliveredAt: null });
      }
      return fresh.find((d) => d.webhookId === w.res[o].webhookId)!.id;
    },
    idOf(kind, o) {
      const r = w.res[o];
      switch (kind) {
        case ID_KINDS.organization:
          return w.orgOf(o).slug;
        case ID_KINDS.invitation:
          return o === 'A' ? invitationA : invitationB;
        case ID_KINDS.apiKey:
          return o === 'A' ? w.apiKeyA.id : w.apiKeyB.id;
        case ID_KINDS.member:
          return users[o === 'A' ? 'staffA' : 'staffB'].id;
        case ID_KINDS.template:
          return r.template.id;
        case ID_KINDS.image:
          return r.imageId;
        case ID_KINDS.job:
          return r.draftJob.id;
        case ID_KINDS.row:
          return String(r.draftJob.invalidRowNo);
        case ID_KINDS.award:
          return r.award.id;
        case ID_KINDS.webhook:
          return r.webhookId;
        case ID_KINDS.delivery:
          return r.deadDeliveryId;
        default:
          throw new Error(`no seeded id of kind ${JSON.stringify(kind)}`);
      }
    },
    randomIdOf(kind) {
      if (kind === ID_KINDS.organization) return w.randomSlug(orgA.slug.length);
      if (kind === ID_KINDS.row) return String(1000 + randomBytes(2).readUInt16BE(0));
      return kind === ID_KINDS.image ? randomUUID() : deps.secrets.newId();
    },
    paramsFor(url, o = 'A') {
      const r = w.res[o];
      const id = url.includes('/api-keys/')
        ? w.idOf(ID_KINDS.apiKey, o)
        : url.includes('/invitations/')
          ? w.idOf(ID_KINDS.invitation, o)
          : url.includes('/outbox/')
            ? mailId
            : url.includes('/templates/')
              ? r.template.id
              : url.startsWith('/c/')
                ? r.award.credentialId
                : url.includes('/credentials/')
                  ? r.award.id
                  : url.includes('/webhook-deliveries/')
                    ? r.deadDeliveryId
                    : url.includes('/webhooks/')
                      ? r.webhookId
                      : url.includes('/issuance-jobs/')
                        ? r.completedJob.id
                        : url.includes('/images/')
                          ? r.imageId
                          : '';
      return {
        slug: w.orgOf(o).slug,
        emailId: emails.l1Second,
        userId: users[o === 'A' ? 'targetA' : 'staffB'].id,
        id,
        jobId: r.draftJob.id,
        rowNo: String(r.draftJob.invalidRowNo),
      };
    },
  };

  /** Issues one credential of the seeded template through the domain; the token comes from the holder link. */
  const issueOne = async (o: OrgKey, recipient: { name: string; email: string }): Promise<IssuedRef> => {
    const template = w.res[o].template;
    const [issued] = await issueBatch(deps, w.issuer(o), {
      org: w.orgOf(o),
      template,
      version: template.version,
      recipients: [{ name: recipient.name, email: recipient.email, learnerId: null, locale: 'fr', fields: { note: 'A' } }],
    });
    const link = new URL(issued!.link);
    return { id: issued!.award.id, credentialId: link.pathname.split('/').pop()!, token: link.searchParams.get('t')! };
  };

  // Issue 5: one of each resource per organisation (webhooks first, so issuing records deliveries).
  const res = {} as Record<OrgKey, OrgResources>;
  w.res = res;
  for (const o of ['A', 'B'] as const) {
    const org = w.orgOf(o);
    const actor = w.issuer(o);
    const image = await uploadImage(deps, actor, { slug: org.slug, bytes: solidPng(16, 16, o === 'A' ? '#2255aa' : '#aa5522') });
    // No imageId: issuing from a template with an image fails while baseUrl is http on a non-local host (reported).
    const template = await createTemplate(deps, actor, { slug: org.slug, template: { ...TEMPLATE_INPUT, name: { fr: `Modèle ${o}`, en: `Template ${o}` } } });
    const webhook = await createWebhook(deps, actor, {
      slug: org.slug,
      url: `https://hooks.example.org/org-${o.toLowerCase()}`,
      events: ['credential.issued', 'credential.claimed', 'credential.revoked', 'job.completed'],
    });
    res[o] = { template, imageId: image.id, webhookId: webhook.webhook.id } as OrgResources;
    res[o].award = await issueOne(o, { name: `Titulaire ${o}`, email: address[o === 'A' ? 'l1' : 'l2'] });
    res[o].deadDeliveryId = await w.newDeadDelivery(o);
    res[o].draftJob = await w.newDraftJob(o, { invalid: true });
    const done = await w.newDraftJob(o);
    await publishJob(deps, actor, { slug: org.slug, jobId: done.id });
    await runIssuancePart(deps, done.id);
    res[o].completedJob = { id: done.id };
    await saveTemplateRules(deps, actor, {
      slug: org.slug,
      templateId: template.id,
      rules: { enabled: 'on', activities: 'sec-101', requirePassed: 'on', policy: 'once' },
    });
    const day = new Date(now().getTime() - 86_400_000).toISOString().slice(0, 10);
    const { results, errors } = validateResults(
      [
        { email: `results.${o.toLowerCase()}@example.org`, name: `Résultat ${o}`, activity: 'sec-101', passed: true, date: day },
        { email: `failed.${o.toLowerCase()}@example.org`, name: `Échec ${o}`, activity: 'sec-101', passed: false, date: day },
      ],
      now(),
    );
    if (errors.length) throw new Error(`seed results: ${JSON.stringify(errors)}`);
    await receiveResults(deps, actor, { slug: org.slug, results, source: 'api' });
  }

  // First use of each key records last_used_at; do it now so later sweeps see no writes.
  for (const key of [w.apiKeyA.key, w.apiKeyB.key]) await w.apiClient(key).send({ method: 'GET', url: '/api/v1/organization' });
  await settle(t);
  return w;
}

export { TEST_PASSWORD };

/** A fresh Open Badge of org A, issued through the domain (status lists exist once something was issued). */
export async function issueOrgACredential(w: World): Promise<{ id: string; statusListPath: string; document: Record<string, unknown> }> {
  const issued = await issueOpenBadge(
    w.t.container.deps,
    { kind: 'system' },
    {
      slug: w.orgA.slug,
      badge: {
        recipient: { email: w.uniqueEmail('badge') },
        achievement: { name: 'Security battery', description: 'A badge issued by the security battery.', criteria: { narrative: 'None.' } },
      },
    },
  );
  const doc = JSON.parse(issued.document) as { id: string; credentialStatus: { statusListCredential: string } };
  return { id: doc.id, statusListPath: new URL(doc.credentialStatus.statusListCredential).pathname, document: doc };
}

/** A minimal VCDM 2.0 credential for `POST /credentials/issue` (the issuer is filled in from the API key). */
export const VC_API_CREDENTIAL = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  type: ['VerifiableCredential'],
  credentialSubject: { id: 'did:example:subject' },
};

// ---- Database snapshots (SQLite, through the app's own better-sqlite3 handle) ------------------------

export function sqliteOf(t: TestApp) {
  const sqlite = t.container.handle.sqlite;
  if (!sqlite) throw new Error('the security battery snapshots SQLite (run with TEST_DB=sqlite)');
  return sqlite;
}

export function tableNames(t: TestApp): string[] {
  return (
    sqliteOf(t).prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as { name: string }[]
  ).map((r) => r.name);
}

/** Every row of every table, as sorted JSON lines per table. */
export function dumpDb(t: TestApp): Record<string, string[]> {
  const sqlite = sqliteOf(t);
  const out: Record<string, string[]> = {};
  for (const name of tableNames(t)) {
    out[name] = (sqlite.prepare(`select * from "${name}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

export function hashDump(dump: Record<string, string[]>): string {
  const h = createHash('sha256');
  for (const [name, rows] of Object.entries(dump)) {
    h.update(`${name}\n`);
    for (const r of rows) h.update(`${r}\n`);
  }
  return h.digest('hex');
}

export const dbHash = (t: TestApp): string => hashDump(dumpDb(t));

/** Tables whose rows differ between two dumps (names and row counts only: no values, they may hold secrets). */
export function diffDumps(a: Record<string, string[]>, b: Record<string, string[]>): string[] {
  const out: string[] = [];
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[name] ?? [];
    const y = b[name] ?? [];
    if (x.length !== y.length || x.some((r, i) => r !== y[i])) {
      const ys = new Set(y);
      const xs = new Set(x);
      out.push(
        `${name}: ${x.length} → ${y.length} rows, ${x.filter((r) => !ys.has(r)).length} removed/changed, ${y.filter((r) => !xs.has(r)).length} added/changed`,
      );
    }
  }
  return out;
}

export function rowCounts(t: TestApp): Record<string, number> {
  const sqlite = sqliteOf(t);
  return Object.fromEntries(tableNames(t).map((name) => [name, (sqlite.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n]));
}

/** Waits until background writes (mail jobs enqueued after a commit) are done: two equal snapshots in a row. */
export async function settle(t: TestApp): Promise<void> {
  let last = dbHash(t);
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const next = dbHash(t);
    if (next === last) return;
    last = next;
  }
  throw new Error('the database did not settle');
}

/** The body with the request path masked: the language link of every page echoes the path the caller typed. */
export function maskPath(body: string, url: string): string {
  const path = url.split('?')[0]!;
  return body.split(path).join('{path}');
}
