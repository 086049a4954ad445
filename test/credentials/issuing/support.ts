/**
 * Helpers for the issuing tests: the STOCK `@digitalbazaar/vc` verifier (fresh library objects, a document loader
 * over the bundled contexts plus Sceau's own DID documents and status lists, nothing fetched), the OB 3.0 JSON
 * schema (Ajv, draft 2019-09), and a minimal Open Badge input.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list';
import type { ErrorObject } from 'ajv';
import { createDocumentLoader } from '../../../src/crypto/document-loader.js';
import type { OpenBadgeInput } from '../../../src/domain/credentials/issue-credentials.js';
import type { AppDeps } from '../../../src/http/deps.js';

const require = createRequire(import.meta.url);

/** The stock loader: bundled contexts, then Sceau's own DIDs and status lists from the database. */
export function stockLoader(deps: Pick<AppDeps, 'resolveOwnDid' | 'getOwnStatusList'>) {
  const base = createDocumentLoader({ resolveDid: (url) => deps.resolveOwnDid(url) });
  return async (url: string) => {
    const list = await deps.getOwnStatusList(url);
    if (list) return { contextUrl: null, documentUrl: url, document: list };
    return base(url);
  };
}

export interface StockResult {
  verified: boolean;
  error?: { message?: string; errors?: { message?: string }[] };
  statusResult?: { verified: boolean; results: { status: boolean }[] };
}

/** `vc.verifyCredential` exactly as a third party would run it, status list read and verified by the library. */
export async function stockVerify(deps: Pick<AppDeps, 'resolveOwnDid' | 'getOwnStatusList'>, credential: unknown): Promise<StockResult> {
  const documentLoader = stockLoader(deps);
  const suite = new DataIntegrityProof({ cryptosuite });
  return vc.verifyCredential({
    credential,
    suite,
    documentLoader,
    checkStatus: (options: Record<string, unknown>) => checkStatus({ ...options, suite, documentLoader, verifyBitstringStatusListCredential: true }),
  }) as Promise<StockResult>;
}

export function errorText(r: StockResult): string {
  return [r.error?.message, ...(r.error?.errors ?? []).map((e) => e.message)].filter(Boolean).join('; ');
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
let validator: Validate | undefined;
/** The 1EdTech OB 3.0 AchievementCredential schema (the copy the verifier bundles), compiled once. */
export function obSchema(): Validate {
  if (!validator) {
    const Ajv2019 = require('ajv/dist/2019').default as new (o: object) => { compile(s: object): Validate };
    const addFormats = require('ajv-formats').default as (ajv: unknown) => void;
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats(ajv);
    const file = new URL('../../../src/crypto/schemas/ob_v3p0_achievementcredential_schema.json', import.meta.url);
    validator = ajv.compile(JSON.parse(fs.readFileSync(file, 'utf8')) as object);
  }
  return validator;
}

export function schemaErrors(doc: unknown): string[] {
  const validate = obSchema();
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

export function badge(overrides: Partial<OpenBadgeInput> = {}): OpenBadgeInput {
  return {
    recipient: { email: 'Learner@Example.org' },
    achievement: {
      name: 'Secourisme de base',
      description: 'Premiers secours : alerte, position latérale de sécurité, massage cardiaque.',
      criteria: { narrative: 'Réussir l’évaluation pratique de 4 heures.' },
      achievementType: 'Certificate',
      image: 'https://example.org/badges/secourisme.png',
      alignment: [{ targetName: 'Porter secours', targetUrl: 'https://example.org/skills/first-aid', targetType: 'ceasn:Competency', targetCode: 'FA-1' }],
    },
    ...overrides,
  };
}

export const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
