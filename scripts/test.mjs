#!/usr/bin/env node
// `npm test`: installs what the tests need from Debian if it is missing (as root), type-checks, lints (ESLint), checks
// the formatting (Prettier), then runs every suite: unit (layering included), store (SQLite + PostgreSQL), HTTP, jobs,
// mail, CLI, security, and the browser journeys.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

const DEBIAN = [
  { pkg: 'chromium', check: () => fs.existsSync('/usr/bin/chromium') },
  { pkg: 'postgresql-15', check: () => fs.existsSync('/usr/lib/postgresql/15/bin/initdb') },
  { pkg: 'poppler-utils', check: () => has('pdfsig') },
  { pkg: 'sqlite3', check: () => has('sqlite3') },
];

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd, args, env = {}) {
  console.log(`\n▶ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

const missing = DEBIAN.filter((d) => !d.check()).map((d) => d.pkg);
if (missing.length) {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !has('apt-get')) {
    console.error(`The tests need these Debian packages: ${missing.join(' ')}\nInstall them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`Installing Debian packages the tests need: ${missing.join(' ')}`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

// `npm test -- <files>`: a fast targeted run (type-check, then those files); no lint, format check or e2e.
const only = process.argv.slice(2);
run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']);
if (!only.length) {
  run(process.execPath, ['node_modules/eslint/bin/eslint.js', 'src', 'test', 'bench', 'scripts']);
  run(process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '.']);
}
// The layering rules (dependency-cruiser) run here too, as test/unit/layering.test.ts.
run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...only]);
if (!only.length) run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '-c', 'vitest.e2e.config.ts']);
console.log('\n✓ all tests passed');
