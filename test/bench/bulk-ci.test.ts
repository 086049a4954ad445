/**
 * The CI variant of the bulk-issuance benchmark (bench/bulk.ts): 2,000 rows through the whole pipeline with two
 * real worker processes must complete (every row issued and e-mailed exactly once) within 2 minutes. The rate is
 * printed, not asserted: benchmarks are scripts, not timed tests.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('bulk issuance benchmark, CI variant', () => {
  it('runs 2,000 rows end to end in under 2 minutes', async () => {
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', 'bench/bulk.ts', '--rows', '2000', '--workers', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      p.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
      p.on('error', reject);
      p.on('close', (c) => resolve({ code: c, out }));
    });
    process.stdout.write(out);
    expect(out).toContain('issued 2000/2000, credentials stored 2000, e-mails queued 2000');
    expect(code).toBe(0);
  }, 120_000);
});
