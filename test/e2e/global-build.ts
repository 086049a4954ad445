/**
 * Vitest global setup of the e2e run: `npm start`'s prestart step (build dist/ when src/ is newer), once for the
 * whole run, so every test file starts the same build even if src/ changes meanwhile.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** True once the global setup has run `scripts/build-if-needed.mjs`. */
    e2eBuilt?: boolean;
  }
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs `node scripts/build-if-needed.mjs` (a no-op when dist/ is up to date). */
export function buildIfNeeded(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-if-needed.mjs')], { cwd: ROOT, stdio: 'inherit', timeout: 170_000 });
}

export default function setup(project: TestProject): void {
  buildIfNeeded();
  project.provide('e2eBuilt', true);
}
