import { parseTabular } from '../src/files/tabular.js';
for (const make of [() => 'a;b\n1;' + ';'.repeat(20_000_000), () => 'a;b\n' + '"'.repeat(20_000_000), () => 'a;b\n' + '\n'.repeat(20_000_000), () => 'a,b\n' + '1,"' + 'x'.repeat(20_000_000) + '"', () => 'a\n' + '1\n'.repeat(9_000_000)]) {
  const buf = Buffer.from(make());
  const t0 = Date.now();
  try { const t = await parseTabular(buf); console.log('ok', t.rows.length); } catch (e: any) { console.log(e.code, e.params); }
  console.log(Date.now() - t0, 'ms', process.memoryUsage().rss / 1e6);
}
