#!/usr/bin/env node
// Builds dist/ from src/ when it is missing or older than any source file, then copies static assets.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const stamp = path.join(root, 'dist', '.build-stamp');
const quiet = process.argv.includes('--quiet');

function newest(dir) {
  let t = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

const srcTime = Math.max(newest(path.join(root, 'src')), fs.statSync(path.join(root, 'package-lock.json')).mtimeMs);
const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
if (built >= srcTime && fs.existsSync(path.join(root, 'dist', 'main.js'))) process.exit(0);

if (!quiet) console.error('Building Sceau (TypeScript → dist/)…');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
fs.cpSync(path.join(root, 'src', 'web', 'assets'), path.join(root, 'dist', 'web', 'assets'), { recursive: true });
fs.cpSync(path.join(root, 'src', 'crypto', 'contexts'), path.join(root, 'dist', 'crypto', 'contexts'), { recursive: true });
fs.cpSync(path.join(root, 'src', 'crypto', 'schemas'), path.join(root, 'dist', 'crypto', 'schemas'), { recursive: true });
fs.writeFileSync(stamp, new Date().toISOString());
