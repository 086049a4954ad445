/**
 * Issuing: the Open Badges 3.0 `OpenBadgeCredential` use case (called by later features and by the VC-API), and the
 * generic VC-API issue of a caller-built credential. Every credential is signed with the organisation's current key
 * (eddsa-rdfc-2022 Data Integrity, proof as an array for OB credentials), carries one revocation
 * `BitstringStatusListEntry` at a random index, and is stored verbatim: the text returned is the text stored.
 */
import { auditEvent } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import { authorize } from '../shared/policies.js';
import type { Actor, JsonObject } from '../shared/model.js';
import type { Repositories } from '../shared/store.js';
import { identifierUrl, normalizeEmail, normalizeUrl } from '../shared/validation.js';

import { OB_CONTEXT, OB_EXTENSIONS_CONTEXT, VC_V2_CONTEXT, ensureIssuerKey, getIssuerProfile, issuerDid, signingKey } from './issuer-identity.js';
import type { IssuedCredential, IssuerKey } from './model.js';
import { type StatusAllocation, type StatusDeps, allocateStatusEntries, statusListUrl, w3cDate } from './status-lists.js';
import type { Organization } from '../organizations/model.js';

export type IssuingDeps = StatusDeps;

export const VC_V1_CONTEXT = 'https://www.w3.org/2018/credentials/v1';
export const OB_CONTEXTS = [VC_V2_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT] as const;
export const OB_SCHEMA_URL = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json';
export const OB_CREDENTIAL_TYPES = ['OpenBadgeCredential', 'AchievementCredential'];

/** OB 3.0 AchievementType vocabulary (an `ext:` name extends it). */
export const ACHIEVEMENT_TYPES = [
  'Achievement',
  'ApprenticeshipCertificate',
  'Assessment',
  'Assignment',
  'AssociateDegree',
  'Award',
  'Badge',
  'BachelorDegree',
  'Certificate',
  'CertificateOfCompletion',
  'Certification',
  'CommunityService',
  'Competency',
  'Course',
  'CoCurricular',
  'Degree',
  'Diploma',
  'DoctoralDegree',
  'Fieldwork',
  'GeneralEducationDevelopment',
  'JourneymanCertificate',
  'LearningProgram',
  'License',
  'Membership',
  'ProfessionalDoctorate',
  'QualityAssuranceCredential',
  'MasterCertificate',
  'MasterDegree',
  'MicroCredential',
  'ResearchDoctorate',
  'SecondarySchoolDiploma',
] as const;
const ALIGNMENT_TARGET_TYPES = ['ceasn:Competency', 'ceterms:Credential', 'CFItem', 'CFRubric', 'CFRubricCriterion', 'CFRubricCriterionLevel', 'CTDL'];
const RESULT_TYPES = [
  'GradePointAverage',
  'LetterGrade',
  'Percent',
  'PerformanceLevel',
  'PredictedScore',
  'RawScore',
  'Result',
  'RubricCriterion',
  'RubricCriterionLevel',
  'RubricScore',
  'ScaledScore',
  'Status',
];
const RESULT_STATUSES = ['Completed', 'Enrolled', 'Failed', 'InProgress', 'OnHold', 'Provisional', 'Withdrew'];
const EXT_RE = /^ext:[A-Za-z0-9.\-_]+$/;

// ---- Input ---------------------------------------------------------------------------------------------

export interface AlignmentInput {
  targetName: unknown;
  targetUrl: unknown;
  targetType?: unknown;
  targetCode?: unknown;
  targetFramework?: unknown;
  targetDescription?: unknown;
}

export interface AchievementInput {
  /** A URI; default `urn:uuid:<random>`. */
  id?: unknown;
  name: unknown;
  description: unknown;
  criteria: { narrative?: unknown; id?: unknown };
  /** An https URL, or `{ id, caption }`. */
  image?: unknown;
  achievementType?: unknown;
  /** Skills and competencies the achievement aligns to. */
  alignment?: AlignmentInput[];
  /** Free-text keywords (skills without a framework URI). */
  tag?: unknown[];
  /** BCP 47 language of the texts (`fr`, `en`). */
  inLanguage?: unknown;
  /** What results of this achievement mean (each result's `resultDescription` points at one). */
  resultDescription?: { id: unknown; name: unknown; resultType: unknown }[];
}

export interface ResultInput {
  value?: unknown;
  status?: unknown;
  achievedLevel?: unknown;
  resultDescription?: unknown;
  alignment?: AlignmentInput[];
}

export interface OpenBadgeInput {
  /** The recipient: bound by a salted hash of the e-mail address, and by `id` when the holder has a DID. */
  recipient: { email: unknown; did?: unknown; /** Shown on the credential (an unhashed `name` identifier). */ name?: unknown };
  achievement: AchievementInput;
  /** The credential's display name (default: the achievement's). */
  name?: unknown;
  description?: unknown;
  validFrom?: unknown;
  validUntil?: unknown;
  result?: ResultInput[];
  /** Also produce an OB 3.0 VC-JWT of the same credential. */
  jwt?: boolean;
}

export interface IssueResult {
  credential: IssuedCredential;
  /** The signed document, exactly as stored. */
  document: string;
  jwt: string | null;
}

const invalid = (field: string) => new AppError('VALIDATION_FAILED', {}, { field });

function text(raw: unknown, field: string, max: number, required = true): string | undefined {
  if (raw === undefined || raw === null || raw === '') {
    if (required) throw invalid(field);
    return undefined;
  }
  if (typeof raw !== 'string') throw invalid(field);
  const v = raw.normalize('NFC').trim();
  if ((required && !v) || v.length > max || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) throw invalid(field);
  return v || undefined;
}

function httpsUrl(raw: unknown, field: string, required = false): string | undefined {
  if (!required && (raw === undefined || raw === null || raw === '')) return undefined;
  const v = normalizeUrl(raw, field);
  if (!v) throw invalid(field);
  return v;
}

/** A URI for an `id`: an https URL or a `urn:` name. */
function uri(raw: unknown, field: string): string {
  if (typeof raw === 'string' && /^urn:[a-z0-9][a-z0-9-]{0,31}:[^\s]{1,500}$/i.test(raw)) return raw;
  return httpsUrl(raw, field, true)!;
}

function date(raw: unknown, field: string): Date | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const d = raw instanceof Date ? raw : typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? new Date(raw) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime())) throw invalid(field);
  return d;
}

function did(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string' || raw.length > 500 || !/^did:[a-z0-9]+:[A-Za-z0-9._:%-]+(#[A-Za-z0-9._:%-]+)?$/.test(raw)) {
    throw new AppError('RECIPIENT_DID_INVALID', {}, { field: 'recipient.did' });
  }
  return raw;
}

function alignments(list: unknown, field: string): JsonObject[] | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list) || list.length > 100) throw invalid(field);
  return list.map((a: AlignmentInput, i) => {
    const f = `${field}.${i}`;
    if (!a || typeof a !== 'object') throw invalid(f);
    const out: JsonObject = {
      type: ['Alignment'],
      targetName: text(a.targetName, `${f}.targetName`, 500),
      targetUrl: identifierUrl(a.targetUrl, `${f}.targetUrl`),
    };
    const targetType = text(a.targetType, `${f}.targetType`, 100, false);
    if (targetType !== undefined) {
      if (!ALIGNMENT_TARGET_TYPES.includes(targetType) && !EXT_RE.test(targetType)) throw invalid(`${f}.targetType`);
      out['targetType'] = targetType;
    }
    for (const k of ['targetCode', 'targetFramework', 'targetDescription'] as const) {
      const v = text(a[k], `${f}.${k}`, k === 'targetDescription' ? 5000 : 500, false);
      if (v !== undefined) out[k] = v;
    }
    return out;
  });
}

function image(raw: unknown, field: string, baseUrl: URL): JsonObject | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  // https, or an image Sceau itself serves under BASE_URL (which may be plain http on an intranet).
  const url = (v: unknown, f: string) => (typeof v === 'string' && v.startsWith(baseUrl.origin + '/') ? identifierUrl(v, f) : httpsUrl(v, f, true)!);
  if (typeof raw === 'string') return { id: url(raw, field), type: 'Image' };
  if (typeof raw !== 'object') throw invalid(field);
  const o = raw as { id?: unknown; caption?: unknown };
  const out: JsonObject = { id: url(o.id, `${field}.id`), type: 'Image' };
  const caption = text(o.caption, `${field}.caption`, 500, false);
  if (caption) out['caption'] = caption;
  return out;
}

function achievementOf(input: AchievementInput, newId: () => string, baseUrl: URL): JsonObject {
  if (!input || typeof input !== 'object') throw invalid('achievement');
  const criteria = input.criteria as { narrative?: unknown; id?: unknown } | undefined;
  if (!criteria || typeof criteria !== 'object') throw invalid('achievement.criteria');
  const criteriaOut: JsonObject = {};
  const criteriaId = criteria.id === undefined || criteria.id === '' ? undefined : uri(criteria.id, 'achievement.criteria.id');
  if (criteriaId) criteriaOut['id'] = criteriaId;
  const narrative = text(criteria.narrative, 'achievement.criteria.narrative', 10_000, false);
  if (narrative) criteriaOut['narrative'] = narrative;
  if (!criteriaId && !narrative) throw invalid('achievement.criteria');
  const out: JsonObject = {
    id: input.id === undefined || input.id === '' ? `urn:uuid:${newId()}` : uri(input.id, 'achievement.id'),
    type: ['Achievement'],
  };
  if (input.achievementType !== undefined && input.achievementType !== '') {
    const t = input.achievementType;
    if (typeof t !== 'string' || (!(ACHIEVEMENT_TYPES as readonly string[]).includes(t) && !EXT_RE.test(t))) throw invalid('achievement.achievementType');
    out['achievementType'] = t;
  }
  out['name'] = text(input.name, 'achievement.name', 500);
  out['description'] = text(input.description, 'achievement.description', 10_000);
  out['criteria'] = criteriaOut;
  const img = image(input.image, 'achievement.image', baseUrl);
  if (img) out['image'] = img;
  const align = alignments(input.alignment, 'achievement.alignment');
  if (align?.length) out['alignment'] = align;
  if (input.tag !== undefined) {
    if (!Array.isArray(input.tag) || input.tag.length > 100) throw invalid('achievement.tag');
    const tags = input.tag.map((t, i) => text(t, `achievement.tag.${i}`, 200)!);
    if (tags.length) out['tag'] = tags;
  }
  if (input.inLanguage !== undefined) {
    if (typeof input.inLanguage !== 'string' || !/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(input.inLanguage)) throw invalid('achievement.inLanguage');
    out['inLanguage'] = input.inLanguage;
  }
  if (input.resultDescription !== undefined) {
    if (!Array.isArray(input.resultDescription) || input.resultDescription.length > 50) throw invalid('achievement.resultDescription');
    const rds = input.resultDescription.map((rd, i) => {
      const f = `achievement.resultDescription.${i}`;
      if (!rd || typeof rd !== 'object') throw invalid(f);
      const resultType = rd.resultType;
      if (typeof resultType !== 'string' || (!RESULT_TYPES.includes(resultType) && !EXT_RE.test(resultType))) throw invalid(`${f}.resultType`);
      return { id: uri(rd.id, `${f}.id`), type: ['ResultDescription'], name: text(rd.name, `${f}.name`, 500), resultType };
    });
    if (rds.length) out['resultDescription'] = rds;
  }
  return out;
}

function resultsOf(list: unknown): JsonObject[] | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list) || list.length > 100) throw invalid('result');
  return list.map((r: ResultInput, i) => {
    const f = `result.${i}`;
    if (!r || typeof r !== 'object') throw invalid(f);
    const out: JsonObject = { type: ['Result'] };
    const value = text(r.value, `${f}.value`, 500, false);
    if (value !== undefined) out['value'] = value;
    if (r.status !== undefined) {
      if (typeof r.status !== 'string' || !RESULT_STATUSES.includes(r.status)) throw invalid(`${f}.status`);
      out['status'] = r.status;
    }
    if (r.achievedLevel !== undefined) out['achievedLevel'] = uri(r.achievedLevel, `${f}.achievedLevel`);
    if (r.resultDescription !== undefined) out['resultDescription'] = uri(r.resultDescription, `${f}.resultDescription`);
    const align = alignments(r.alignment, `${f}.alignment`);
    if (align?.length) out['alignment'] = align;
    return out;
  });
}

/** OB 3.0 IdentityObject: `identityHash = "sha256$" + hex(sha256(email + salt))`. */
export function emailIdentity(deps: Pick<IssuingDeps, 'secrets'>, email: string, salt: string): JsonObject {
  return { type: 'IdentityObject', identityHash: `sha256$${deps.secrets.hashToken(email + salt)}`, identityType: 'emailAddress', hashed: true, salt };
}

interface Draft {
  /** Builds the document once the status entry is known. */
  build(status: JsonObject | undefined): JsonObject;
  withStatus: boolean;
  ob: boolean;
  jwt: boolean;
  credentialId: string;
  types: string[];
  recipientHash: string | null;
  validFrom: Date | null;
  validUntil: Date | null;
}

function statusEntry(deps: IssuingDeps, org: Organization, a: StatusAllocation): JsonObject {
  const url = statusListUrl(deps.baseUrl, org.slug, a.list.id);
  return {
    id: `${url}#${a.index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: a.list.purpose,
    statusListIndex: String(a.index),
    statusListCredential: url,
  };
}

/** Signs a batch (one status allocation transaction, one `created`); nothing about the credentials is stored yet. */
async function signDrafts(deps: IssuingDeps, org: Organization, key: IssuerKey, drafts: Draft[]): Promise<IssueResult[]> {
  const needing = drafts.filter((d) => d.withStatus).length;
  const allocations = needing ? await deps.store.transaction((tx) => allocateStatusEntries(tx, deps, { key, count: needing })) : [];
  const now = deps.clock.now();
  const created = w3cDate(now);
  const did = issuerDid(deps.baseUrl, org.slug);
  const sk = signingKey(did, key);
  const results: IssueResult[] = [];
  let next = 0;
  for (const d of drafts) {
    const allocation = d.withStatus ? allocations[next++] : undefined;
    const unsigned = d.build(allocation && statusEntry(deps, org, allocation));
    const signed = await deps.signer.sign(unsigned, sk, { created });
    // OB 3.0's plain-JSON schema wants an array; wrapping after signing keeps the proof valid.
    if (d.ob) signed['proof'] = [signed['proof']];
    const document = JSON.stringify(signed);
    const jwt = d.jwt ? await deps.signer.signJwt(unsigned, sk) : null;
    results.push({
      document,
      jwt,
      credential: {
        id: deps.secrets.newId(),
        orgId: org.id,
        keyId: key.id,
        credentialId: d.credentialId,
        types: d.types,
        format: jwt ? 'ldp+jwt' : 'ldp',
        document,
        jwt,
        recipientHash: d.recipientHash,
        statusListId: allocation?.list.id ?? null,
        statusIndex: allocation?.index ?? null,
        validFrom: d.validFrom,
        validUntil: d.validUntil,
        revokedAt: null,
        suspendedAt: null,
        createdAt: now,
      },
    });
  }
  return results;
}

/**
 * Stores signed credentials inside the caller's transaction (with their audit events). A building block of use cases
 * that have already authorised `actor` in `org`.
 */
export async function storeIssued(tx: Repositories, deps: IssuingDeps, issued: { actor: Actor; org: Organization; results: IssueResult[] }): Promise<void> {
  const { actor, org, results } = issued;
  await tx.credentials.createMany(results.map((r) => r.credential));
  await tx.audit.recordMany(
    results.map((r) =>
      auditEvent(deps, actor, {
        action: 'credential.issued',
        orgId: org.id,
        targetType: 'credential',
        targetId: r.credential.id,
        details: { types: r.credential.types },
      }),
    ),
  );
}

async function signAndStore(deps: IssuingDeps, actor: Actor, org: Organization, key: IssuerKey, drafts: Draft[]): Promise<IssueResult[]> {
  const results = await signDrafts(deps, org, key, drafts);
  await deps.store.transaction((tx) => storeIssued(tx, deps, { actor, org, results }));
  return results;
}

/**
 * An Open Badges 3.0 credential whose every value is already checked and normalised (by `checkOpenBadge` for a
 * caller-built input, or built from a saved template and checked recipients by issuance): signed as is.
 */
export interface CheckedOpenBadge {
  /** Normalised e-mail address (bound by a salted hash). */
  email: string;
  /** The holder's DID, if any. */
  holder?: string;
  /** Shown on the credential (an unhashed `name` identifier). */
  displayName?: string;
  /** The OB 3.0 `Achievement` object, as it goes into the credential. */
  achievement: JsonObject;
  name: string;
  description?: string;
  validFrom: Date;
  validUntil?: Date;
  /** OB 3.0 `Result` objects. */
  result?: JsonObject[];
  jwt: boolean;
}

/** Checks a caller-built OB 3.0 input (VALIDATION_FAILED naming the field, or RECIPIENT_DID_INVALID). */
function checkOpenBadge(deps: IssuingDeps, input: OpenBadgeInput, now: Date): CheckedOpenBadge {
  if (!input || typeof input !== 'object' || !input.recipient || typeof input.recipient !== 'object') throw invalid('recipient');
  const email = normalizeEmail(input.recipient.email, 'recipient.email');
  const holder = did(input.recipient.did);
  const achievement = achievementOf(input.achievement, () => deps.secrets.newPublicId(), deps.baseUrl);
  const name = text(input.name, 'name', 500, false) ?? (achievement['name'] as string);
  const description = text(input.description, 'description', 10_000, false);
  const validFrom = date(input.validFrom, 'validFrom') ?? now;
  const validUntil = date(input.validUntil, 'validUntil');
  if (validUntil && validUntil <= validFrom) throw invalid('validUntil');
  const result = resultsOf(input.result);
  const displayName = text(input.recipient.name, 'recipient.name', 200, false);
  return {
    email,
    ...(holder ? { holder } : {}),
    ...(displayName ? { displayName } : {}),
    achievement,
    name,
    ...(description ? { description } : {}),
    validFrom,
    ...(validUntil ? { validUntil } : {}),
    ...(result ? { result } : {}),
    jwt: input.jwt === true,
  };
}

/**
 * Issues Open Badges 3.0 credentials built by the caller in one batch (one `created`, one key, one status allocation).
 * Validation happens before anything is written.
 */
export async function issueOpenBadges(deps: IssuingDeps, actor: Actor, input: { slug?: string; badges: OpenBadgeInput[] }): Promise<IssueResult[]> {
  const { org } = await authorize(deps, actor, { action: 'credentials.issue', slug: input.slug });
  const results = await signBadges(deps, org, input.badges, (badge, now) => checkOpenBadge(deps, badge, now));
  if (results.length) await deps.store.transaction((tx) => storeIssued(tx, deps, { actor, org, results }));
  return results;
}

/**
 * Signs checked Open Badges 3.0 credentials without storing them (and without checking them again): the caller
 * stores them with `storeIssued` inside its own transaction (issuance stores credentials, awards and e-mails together).
 */
export function signOpenBadges(deps: IssuingDeps, org: Organization, badges: CheckedOpenBadge[]): Promise<IssueResult[]> {
  return signBadges(deps, org, badges, (badge) => badge);
}

/** Each item is checked (`check`) right before its draft is built, after the key and profile are ready. */
async function signBadges<T>(deps: IssuingDeps, org: Organization, items: T[], check: (item: T, now: Date) => CheckedOpenBadge): Promise<IssueResult[]> {
  if (!items.length) return [];
  const key = await ensureIssuerKey(deps, org);
  const profile = await getIssuerProfile(deps, org);
  const now = deps.clock.now();
  const drafts: Draft[] = items.map((item) => {
    const { email, holder, displayName, achievement, name, description, validFrom, validUntil, result, jwt } = check(item, now);
    const identity = emailIdentity(deps, email, deps.secrets.newToken().slice(0, 22));
    const credentialId = `urn:uuid:${deps.secrets.newPublicId()}`;
    return {
      withStatus: true,
      ob: true,
      jwt,
      credentialId,
      types: ['VerifiableCredential', 'OpenBadgeCredential'],
      recipientHash: identity['identityHash'] as string,
      validFrom,
      validUntil: validUntil ?? null,
      build: (status) => {
        const subject: JsonObject = {};
        if (holder) subject['id'] = holder;
        subject['type'] = ['AchievementSubject'];
        subject['identifier'] = displayName
          ? [identity, { type: 'IdentityObject', identityHash: displayName, identityType: 'name', hashed: false }]
          : [identity];
        subject['achievement'] = achievement;
        if (result?.length) subject['result'] = result;
        const credential: JsonObject = {
          '@context': [...OB_CONTEXTS],
          id: credentialId,
          type: ['VerifiableCredential', 'OpenBadgeCredential'],
          issuer: profile,
          name,
        };
        if (description) credential['description'] = description;
        credential['validFrom'] = w3cDate(validFrom);
        if (validUntil) credential['validUntil'] = w3cDate(validUntil);
        credential['credentialSubject'] = subject;
        credential['credentialSchema'] = [{ id: OB_SCHEMA_URL, type: '1EdTechJsonSchemaValidator2019' }];
        if (status) credential['credentialStatus'] = status;
        return credential;
      },
    };
  });
  return signDrafts(deps, org, key, drafts);
}

export async function issueOpenBadge(deps: IssuingDeps, actor: Actor, input: { slug?: string; badge: OpenBadgeInput }): Promise<IssueResult> {
  return (await issueOpenBadges(deps, actor, { slug: input.slug, badges: [input.badge] }))[0]!;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The VC-API issue: signs a credential built by the caller. The issuer must be the organisation (its DID, as a
 * string or a Profile's `id`), or absent (then the organisation's Profile, or DID, is filled in). Sceau adds `id`
 * (`urn:uuid:…`), `validFrom` (VCDM 2.0) or `issuanceDate` (1.1) when missing, and a revocation status entry
 * (VCDM 2.0 credentials without their own `credentialStatus`).
 */
export async function issueCredential(deps: IssuingDeps, actor: Actor, request: { slug?: string; credential: unknown; jwt?: boolean }): Promise<IssueResult> {
  const { credential } = request;
  const { org } = await authorize(deps, actor, { action: 'credentials.issue', slug: request.slug });
  if (!isObject(credential)) throw new AppError('CREDENTIAL_INVALID', { reason: 'the credential must be a JSON object' });
  const input = structuredClone(credential);
  const context = input['@context'];
  const first = Array.isArray(context) ? context[0] : context;
  const v2 = first === VC_V2_CONTEXT;
  if (!v2 && first !== VC_V1_CONTEXT) {
    throw new AppError('CREDENTIAL_INVALID', { reason: `the first @context must be ${VC_V2_CONTEXT} (or ${VC_V1_CONTEXT})` });
  }
  const types = (Array.isArray(input['type']) ? input['type'] : [input['type']]).filter((t): t is string => typeof t === 'string');
  const ob = types.some((t) => OB_CREDENTIAL_TYPES.includes(t));
  const did = issuerDid(deps.baseUrl, org.slug);
  const issuer = input['issuer'];
  if (issuer === undefined) {
    input['issuer'] = ob ? await getIssuerProfile(deps, org) : did;
  } else {
    const issuerId = typeof issuer === 'string' ? issuer : isObject(issuer) ? issuer['id'] : undefined;
    if (issuerId !== did) throw new AppError('CREDENTIAL_ISSUER_MISMATCH', { issuer: did });
  }
  if (input['id'] === undefined) input['id'] = `urn:uuid:${deps.secrets.newPublicId()}`;
  if (typeof input['id'] !== 'string' || input['id'].length > 2048) throw new AppError('CREDENTIAL_INVALID', { reason: '"id" must be a URL' });
  const now = deps.clock.now();
  if (v2 && input['validFrom'] === undefined) input['validFrom'] = w3cDate(now);
  if (!v2 && input['issuanceDate'] === undefined) input['issuanceDate'] = w3cDate(now);
  const withStatus = v2 && input['credentialStatus'] === undefined;
  const parseDate = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : null);
  const subject = input['credentialSubject'];
  const identifier = isObject(subject) && Array.isArray(subject['identifier']) ? subject['identifier'][0] : undefined;
  const hash = isObject(identifier) && typeof identifier['identityHash'] === 'string' ? identifier['identityHash'].slice(0, 200) : null;

  const key = await ensureIssuerKey(deps, org);
  const [result] = await signAndStore(deps, actor, org, key, [
    {
      withStatus,
      ob,
      jwt: request.jwt === true,
      credentialId: input['id'],
      types,
      recipientHash: hash,
      validFrom: parseDate(input['validFrom'] ?? input['issuanceDate']),
      validUntil: parseDate(input['validUntil'] ?? input['expirationDate']),
      build: (status) => (status ? ordered({ ...input, credentialStatus: status }) : ordered(input)),
    },
  ]);
  return result!;
}

/** The usual VC key order (cosmetic: the signature does not depend on it). */
const ORDER = ['@context', 'id', 'type', 'issuer', 'name', 'description', 'issuanceDate', 'validFrom', 'expirationDate', 'validUntil', 'credentialSubject'];
function ordered(doc: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of ORDER) if (k in doc) out[k] = doc[k];
  for (const [k, v] of Object.entries(doc)) if (!(k in out)) out[k] = v;
  return out;
}
