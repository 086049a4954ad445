/**
 * `npm run bench`: issue and verify throughput of Sceau's credential pipeline next to the stock
 * `@digitalbazaar/vc` pipeline, in one run, printed as ratios (performance.md; bars: issue ≥ 1.3×, verify ≥ 1.1×).
 *
 * Each pipeline runs in its own child process: jsonld keeps resolved contexts in a process-wide cache once a loader
 * tags them `static` (as Sceau's does), so sharing a process would quietly speed up the "stock" runs too.
 *
 *  - stock issue:  per credential, a fresh `Ed25519Multikey.from` + signer (the key is imported again on every
 *                  sign, as the library does), `new Date()` per proof, `vc.issue`, proof wrapped in an array.
 *  - Sceau issue:  Sceau's signer (src/crypto/credential-signer.ts): key opened and imported once, one `created` per
 *                  batch, proof-options canonicalisation memoised, bundled contexts cached, jsonld active contexts
 *                  copied one level deep (src/crypto/jsonld-context-clone.ts); byte-identical output (a sample is
 *                  checked with the stock verifier in a fresh process).
 *  - stock verify: `vc.verifyCredential` with a fresh suite per call (key imported on every verify).
 *  - Sceau verify: the Data Integrity step of Sceau's verifier (src/crypto/verifier) when it loads, else the same
 *                  stock `vc.verifyCredential` with a key imported once and memoised proof options (both printed).
 * Status is not part of the proof benchmark (a no-op `checkStatus` for both sides); medians of timed runs after a
 * warm-up, in alternating rounds. Options: --seconds S (per timed run, default 1), --runs N (default 5), --rounds R
 * (default 2). Numbers only, no assertions.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const SECONDS = Number(opt('seconds', '1'));
const RUNS = Number(opt('runs', '5'));
const ROUNDS = Number(opt('rounds', '2'));

type Json = Record<string, any>;

// ---- A fixed issuer: did:web document served from memory to both pipelines ----------------------------
const DID = 'did:web:bench.sceau.example:orgs:bench';

function credentialTemplate(i: number, statusListUrl: string): Json {
  const salt = crypto.randomBytes(16).toString('base64url');
  return {
    '@context': [
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
      'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json',
    ],
    id: `urn:uuid:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {
      id: DID,
      type: ['Profile'],
      name: 'Institut du banc d’essai',
      url: 'https://bench.sceau.example/orgs/bench/profile',
      image: { id: 'https://bench.sceau.example/logo.png', type: 'Image' },
    },
    name: 'Secourisme de base',
    validFrom: '2026-01-15T09:00:00Z',
    credentialSubject: {
      type: ['AchievementSubject'],
      identifier: [
        {
          type: 'IdentityObject',
          identityHash: `sha256$${crypto.createHash('sha256').update(`learner${i}@example.org${salt}`).digest('hex')}`,
          identityType: 'emailAddress',
          hashed: true,
          salt,
        },
      ],
      achievement: {
        id: 'https://bench.sceau.example/achievements/first-aid',
        type: ['Achievement'],
        achievementType: 'Certificate',
        name: 'Secourisme de base',
        description: 'Premiers secours : alerte, position latérale de sécurité, massage cardiaque, défibrillateur.',
        criteria: { narrative: 'Réussir l’évaluation pratique de 4 heures devant un formateur agréé.' },
        image: { id: 'https://bench.sceau.example/badges/first-aid.png', type: 'Image' },
        alignment: [
          {
            type: ['Alignment'],
            targetName: 'Porter secours',
            targetUrl: 'https://bench.sceau.example/skills/first-aid',
            targetType: 'ceasn:Competency',
            targetCode: 'FA-1',
          },
        ],
      },
      result: [{ type: ['Result'], value: '92', status: 'Completed' }],
    },
    credentialSchema: [
      { id: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json', type: '1EdTechJsonSchemaValidator2019' },
    ],
    credentialStatus: {
      id: `${statusListUrl}#${i}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(i),
      statusListCredential: statusListUrl,
    },
  };
}

async function timed(label: string, fn: (n: number) => Promise<number>): Promise<number[]> {
  // Warm-up (JIT, context caches) for 1.5 s at least, then RUNS timed runs of ~SECONDS each; the median throughput.
  const warm = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - warm) / 1e9 < Math.max(1.5, SECONDS)) await fn(10);
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const started = process.hrtime.bigint();
    let done = 0;
    while (Number(process.hrtime.bigint() - started) / 1e9 < SECONDS) done += await fn(10);
    rates.push(done / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  process.stderr.write(`  ${label}: ${rates.map((x) => x.toFixed(0)).join(' ')} /s\n`);
  return rates;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---- Child: one pipeline -----------------------------------------------------------------------------
async function child(mode: 'stock' | 'sceau'): Promise<void> {
  const vc = await import('@digitalbazaar/vc');
  const { DataIntegrityProof } = await import('@digitalbazaar/data-integrity');
  const { cryptosuite } = await import('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
  const Ed25519Multikey = await import('@digitalbazaar/ed25519-multikey');
  const { createDocumentLoader, staticContextLoader } = await import('../src/crypto/document-loader.js');
  const { createCredentialSigner } = await import('../src/crypto/credential-signer.js');
  const { createSecrets } = await import('../src/crypto/secrets.js');
  const { publicKeyObject } = await import('../src/crypto/multikey.js');

  const secretsIn = process.env['BENCH_KEY'] ? (JSON.parse(process.env['BENCH_KEY']) as { publicKeyMultibase: string; secretKeyMultibase: string }) : undefined;
  const pair = secretsIn ?? (await (await Ed25519Multikey.generate()).export({ publicKey: true, secretKey: true, includeContext: true }));
  const vm = `${DID}#${pair.publicKeyMultibase}`;
  const didDocument = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: DID,
    verificationMethod: [{ id: vm, type: 'Multikey', controller: DID, publicKeyMultibase: pair.publicKeyMultibase }],
    assertionMethod: [vm],
  };
  const docs = new Map<string, unknown>([
    [DID, didDocument],
    [vm, { '@context': 'https://w3id.org/security/multikey/v1', ...didDocument.verificationMethod[0] }],
  ]);
  const documentLoader = createDocumentLoader({ resolveDid: async (url) => docs.get(url) });
  const statusListUrl = 'https://bench.sceau.example/orgs/bench/status/00000000-0000-4000-8000-000000000000';
  const noStatus = async () => ({ verified: true });
  let counter = 0;
  const next = () => credentialTemplate(counter++ % 131_072, statusListUrl);
  const out: Json = { mode };

  if (mode === 'stock') {
    const exported = { ...pair, id: vm, controller: DID };
    const issueOne = async () => {
      const key = await Ed25519Multikey.from(exported);
      const suite = new DataIntegrityProof({ signer: key.signer(), cryptosuite });
      const signed = await vc.issue({ credential: next(), suite, documentLoader });
      signed.proof = [signed.proof];
      return JSON.stringify(signed);
    };
    out['issue'] = await timed('stock issue', async (n) => {
      for (let i = 0; i < n; i++) await issueOne();
      return n;
    });
    const samples = await Promise.all(Array.from({ length: 50 }, async () => JSON.parse(await issueOne()) as Json));
    out['verify'] = await timed('stock verify', async (n) => {
      for (let i = 0; i < n; i++) {
        const r = await vc.verifyCredential({
          credential: samples[i % samples.length],
          suite: new DataIntegrityProof({ cryptosuite }),
          documentLoader,
          checkStatus: noStatus,
        });
        if (!r.verified) throw new Error(`stock verify failed: ${r.error?.message}`);
      }
      return n;
    });
    // The stock verifier judges Sceau's output (made in the other process) in this fresh process.
    if (process.env['BENCH_SAMPLE']) {
      const sample = JSON.parse(process.env['BENCH_SAMPLE']) as Json[];
      let ok = 0;
      for (const c of sample) {
        const r = await vc.verifyCredential({ credential: c, suite: new DataIntegrityProof({ cryptosuite }), documentLoader, checkStatus: noStatus });
        if (r.verified) ok++;
      }
      out['sceauSampleVerified'] = `${ok}/${sample.length}`;
    }
  } else {
    const secrets = createSecrets(crypto.randomBytes(32));
    const signer = createCredentialSigner({ secrets, documentLoader });
    const key = { id: 'bench-key', verificationMethod: vm, secretKeySealed: secrets.seal(pair.secretKeyMultibase) };
    const issueBatch = async (n: number) => {
      const created = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const texts: string[] = [];
      for (let i = 0; i < n; i++) {
        const signed = await signer.sign(next(), key, { created });
        signed['proof'] = [signed['proof']];
        texts.push(JSON.stringify(signed));
      }
      return texts;
    };
    out['issue'] = await timed('Sceau issue', async (n) => (await issueBatch(n)).length);
    const samples = (await issueBatch(50)).map((t) => JSON.parse(t) as Json);
    out['sample'] = samples.slice(0, 10);
    out['keyImports'] = signer.stats.keyImports;

    // Verify. (1) Sceau's own cached-key path over the stock call: the same `vc.verifyCredential`, with a key imported
    // once and memoised proof options. (2) The verifier's Data Integrity step (src/crypto/verifier), when it loads:
    // the ratio is taken from it. (3) The whole Sceau verifier, for information (it also runs the schema, structure,
    // validity and status steps, which the stock call does not).
    const keyCache = new Map<string, crypto.KeyObject>();
    const cachedSuite = {
      ...cryptosuite,
      async createVerifier({ verificationMethod }: { verificationMethod: Json }) {
        let k = keyCache.get(verificationMethod['publicKeyMultibase']);
        if (!k) keyCache.set(verificationMethod['publicKeyMultibase'], (k = publicKeyObject(verificationMethod['publicKeyMultibase'])));
        const key = k;
        return {
          id: verificationMethod['id'],
          algorithm: 'Ed25519',
          verify: async ({ data, signature }: { data: Uint8Array; signature: Uint8Array }) => crypto.verify(null, data, key, signature),
        };
      },
    };
    const memo = new Map<string, Promise<string>>();
    const suite = new DataIntegrityProof({ cryptosuite: cachedSuite });
    const original = suite.canonizeProof.bind(suite);
    suite.canonizeProof = (proof: Json, o: Json) => {
      const k = JSON.stringify([o['document']['@context'], { ...proof, proofValue: undefined }]);
      let v = memo.get(k);
      if (!v) memo.set(k, (v = original(proof, o)));
      return v;
    };
    const fastLoader = staticContextLoader(documentLoader);
    const verifyLoop = (fn: (c: Json) => Promise<boolean>, label: string) => async (n: number) => {
      for (let i = 0; i < n; i++) if (!(await fn(samples[i % samples.length]!))) throw new Error(`${label} failed`);
      return n;
    };
    out['verifyCachedStock'] = await timed(
      'Sceau cached-key stock verify',
      verifyLoop(
        async (c) => (await vc.verifyCredential({ credential: c, suite, documentLoader: fastLoader, checkStatus: noStatus })).verified === true,
        'cached-key verify',
      ),
    );
    out['verify'] = out['verifyCachedStock'];
    out['verifier'] = 'stock vc.verifyCredential with a key imported once and memoised proof options';
    try {
      const di = (await import('../src/crypto/verifier/data-integrity.js')) as Json;
      const rs = (await import('../src/crypto/verifier/resolver.js')) as Json;
      const resolver = new rs['Resolver']({
        resolveOwnDid: async (url: string) => docs.get(url),
        fetchJson: async () => {
          throw new Error('no network');
        },
      });
      const step = async (c: Json) => {
        const o = (await di['verifyDataIntegrity'](c, { documentLoader: fastLoader, resolver, purpose: 'assertionMethod', allowRemote: false })) as {
          verified: unknown[];
          problems: unknown[];
        };
        return o.problems.length === 0 && o.verified.length > 0;
      };
      if (!(await step(samples[0]!))) throw new Error("the verifier's Data Integrity step rejects a valid credential");
      out['verify'] = await timed('Sceau verifier, Data Integrity step', verifyLoop(step, 'verifier step'));
      out['verifier'] = "Sceau verifier's Data Integrity step (src/crypto/verifier/data-integrity.ts: cached keys, memoised proof options)";
      const mod = (await import('../src/crypto/verifier/index.js')) as Json;
      const verifier = mod['createCredentialVerifier']({
        clock: { now: () => new Date() },
        resolveOwnDid: async (url: string) => docs.get(url),
        getOwnStatusList: async () => undefined,
        fetchJson: async () => {
          throw new Error('no network');
        },
      });
      out['verifyFull'] = await timed(
        'Sceau verifier, whole verification (info)',
        verifyLoop(
          async (c) =>
            ((await verifier.verifyCredential(c)) as { log: { id: string; valid: boolean }[] }).log.find((x) => x.id === 'valid_signature')?.valid === true,
          'full verifier',
        ),
      );
    } catch (err) {
      out['verifierError'] = String((err as Error).message ?? err).slice(0, 200);
    }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(mode: string, env: Record<string, string> = {}): Promise<Json> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, '--seconds', String(SECONDS), '--runs', String(RUNS)],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stdout = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${mode} child exited with ${code}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Json);
    });
  });
}

async function main(): Promise<void> {
  const childMode = opt('child', '');
  if (childMode) return child(childMode as 'stock' | 'sceau');
  const Ed25519Multikey = await import('@digitalbazaar/ed25519-multikey');
  const pair = await (await Ed25519Multikey.generate()).export({ publicKey: true, secretKey: true, includeContext: true });
  const env = { BENCH_KEY: JSON.stringify({ publicKeyMultibase: pair.publicKeyMultibase, secretKeyMultibase: pair.secretKeyMultibase }) };
  console.log(
    `Sceau credential bench — Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load ${os.loadavg()[0]!.toFixed(2)}; ` +
      `${ROUNDS} rounds × ${RUNS} runs × ${SECONDS} s, median; OB 3.0 credential (~2.5 KB), eddsa-rdfc-2022`,
  );
  // Alternating rounds (Sceau, stock, Sceau, stock…) so background load hits both sides alike; medians of all runs.
  const sceauRounds: Json[] = [];
  const stockRounds: Json[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    process.stderr.write(`round ${round}/${ROUNDS} — Sceau pipeline (own process):\n`);
    sceauRounds.push(await runChild('sceau', env));
    process.stderr.write(`round ${round}/${ROUNDS} — stock pipeline (own process):\n`);
    stockRounds.push(await runChild('stock', { ...env, BENCH_SAMPLE: JSON.stringify(sceauRounds[0]!['sample']) }));
  }
  const merged = (rounds: Json[], key: string): number | undefined => {
    const all = rounds.flatMap((r) => (Array.isArray(r[key]) ? (r[key] as number[]) : []));
    return all.length ? median(all) : undefined;
  };
  const sceau: Json = {
    ...sceauRounds[0],
    issue: merged(sceauRounds, 'issue'),
    verify: merged(sceauRounds, 'verify'),
    verifyCachedStock: merged(sceauRounds, 'verifyCachedStock'),
    verifyFull: merged(sceauRounds, 'verifyFull'),
  };
  const stock: Json = { ...stockRounds[0], issue: merged(stockRounds, 'issue'), verify: merged(stockRounds, 'verify') };
  const row = (label: string, s: number, o: number, bar: number) =>
    `${label.padEnd(8)} stock ${s.toFixed(0).padStart(5)}/s   Sceau ${o.toFixed(0).padStart(5)}/s   ratio ${(o / s).toFixed(2)}×   (bar ≥ ${bar}×: ${o / s >= bar ? 'met' : 'NOT met'})`;
  console.log(row('issue', stock['issue'], sceau['issue'], 1.3));
  console.log(row('verify', stock['verify'], sceau['verify'], 1.1));
  console.log(
    `Sceau output checked by the stock verifier in a fresh process: ${stock['sceauSampleVerified']} verified; keys imported by Sceau's signer: ${sceau['keyImports']}`,
  );
  console.log(`Sceau verify path: ${sceau['verifier']}${sceau['verifierError'] ? ` (Sceau verifier not used: ${sceau['verifierError']})` : ''}`);
  if (sceau['verify'] !== sceau['verifyCachedStock'])
    console.log(
      `  also: stock call with a cached key ${(sceau['verifyCachedStock'] as number).toFixed(0)}/s (${((sceau['verifyCachedStock'] as number) / stock['verify']).toFixed(2)}×)`,
    );
  if (sceau['verifyFull'])
    console.log(
      `  also: Sceau's whole verifier (schema, structure, dates, status… as well) ${(sceau['verifyFull'] as number).toFixed(0)}/s (${((sceau['verifyFull'] as number) / stock['verify']).toFixed(2)}× the stock proof check)`,
    );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
