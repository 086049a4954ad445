/**
 * The operator's path, end to end on SQLite: an organisation and an API key created with the CLI (a real child
 * process), a credential issued through `POST /credentials/issue` that the stock library verifies, then
 * `key:rotate` and `org:profile` from the CLI: the old credential still verifies and the DID document lists both keys.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose, type Container } from '../../../src/compose.js';
import { loadConfig } from '../../../src/config.js';
import { buildApp } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { errorText, schemaErrors, stockVerify } from './support.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function runCli(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? os.tmpdir(),
        SCEAU_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        DEFAULT_LOCALE: 'en',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('CLI → VC-API → rotation (SQLite)', () => {
  let dataDir: string, container: Container | undefined, app: FastifyInstance | undefined;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-issuing-cli-'));
  });
  afterAll(async () => {
    await app?.close();
    await container?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    await app?.close();
    await container?.close();
    const config = loadConfig({ SCEAU_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SCEAU_SEED_DEMO: 'false', SCEAU_START_WORKER: 'false' });
    container = await compose(config, { role: 'web', logger: createLogger({ level: 'silent' }) });
    app = await buildApp(container.deps);
    return { deps: container.deps, app };
  };

  it('issues with a CLI-made key, rotates with the CLI, and keeps every credential verifying', async () => {
    const org = await runCli(['org:create', '--name', 'Académie CLI', '--slug', 'academie'], dataDir);
    expect(org.code, org.stderr).toBe(0);
    const key = await runCli(['apikey:create', '--org', 'academie'], dataDir);
    expect(key.code, key.stderr).toBe(0);
    const apiKey = key.stdout.trim().split('\n').pop()!;
    expect(apiKey).toMatch(/^sceau_/);

    let { deps, app: a } = await start();
    const did = 'did:web:localhost%3A3000:orgs:academie';
    const res = await a.inject({
      method: 'POST',
      url: '/credentials/issue',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: {
        credential: {
          '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
          type: ['VerifiableCredential', 'OpenBadgeCredential'],
          name: 'Badge CLI',
          credentialSubject: {
            type: ['AchievementSubject'],
            id: 'did:example:learner',
            achievement: {
              id: 'urn:uuid:7d3c1f52-7f0e-4bf4-9a55-1a1c1b1d1e1f',
              type: ['Achievement'],
              name: 'Badge CLI',
              description: 'Issued by the CLI test.',
              criteria: { narrative: 'Run the test.' },
            },
          },
        },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const first = (res.json() as { verifiableCredential: Record<string, any> }).verifiableCredential;
    expect(first['issuer'].id).toBe(did);
    expect(schemaErrors(first)).toEqual([]);
    expect((await stockVerify(deps, first)).verified).toBe(true);

    const bad = await runCli(['key:rotate', '--org', 'nowhere'], dataDir);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('organisation "nowhere" not found');
    const rotated = await runCli(['key:rotate', '--org', 'academie'], dataDir);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(
      /retired \(still listed\): did:web:localhost%3A3000:orgs:academie#z6Mk\w+\n {2}signing now: {12}did:web:localhost%3A3000:orgs:academie#z6Mk\w+/,
    );
    const profile = await runCli(
      ['org:profile', '--org', 'academie', '--url', 'https://academie.example.org', '--email', 'contact@academie.example.org'],
      dataDir,
    );
    expect(profile.code, profile.stderr).toBe(0);
    const badUrl = await runCli(['org:profile', '--org', 'academie', '--url', 'ftp://x'], dataDir);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain('(--url)');

    ({ deps, app: a } = await start());
    const doc = (await a.inject({ method: 'GET', url: '/orgs/academie/did.json' })).json() as { assertionMethod: string[] };
    expect(doc.assertionMethod).toHaveLength(2);
    expect(doc.assertionMethod[1]).toBe(first['proof'][0].verificationMethod);
    const again = await a.inject({
      method: 'POST',
      url: '/credentials/issue',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { credential: { ...first, id: undefined, proof: undefined, issuer: undefined, credentialStatus: undefined } },
    });
    expect(again.statusCode, again.body).toBe(201);
    const second = (again.json() as { verifiableCredential: Record<string, any> }).verifiableCredential;
    expect(second['proof'][0].verificationMethod).toBe(doc.assertionMethod[0]);
    expect(second['issuer']).toMatchObject({ id: did, url: 'https://academie.example.org/', email: 'contact@academie.example.org' });
    for (const c of [first, second]) {
      const r = await stockVerify(deps, c);
      expect(r.verified, errorText(r)).toBe(true);
    }
  }, 180_000);
});
