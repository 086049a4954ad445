// The layering check (`npm run depcruise`, and test/unit/layering.test.ts): dependency-cruiser's rules from
// .dependency-cruiser.cjs, plus one it cannot express, that the top-level entries of src/ (its folders and its
// top-level files) form a DAG once each folder is collapsed to one node.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const FOLDER_DAG_RULE = 'src-folders-form-a-dag';

export interface Violation {
  rule: string;
  from: string;
  to: string;
  /** For cycles: the modules (or top-level entries of src/) around the loop, starting at `from`, not repeated at the end. */
  cycle?: string[];
  /** For folder cycles: one import that makes each hop of `cycle`, e.g. `src/http/app.ts → src/web/pages/public.ts`. */
  via?: string[];
}

export interface LayeringReport {
  violations: Violation[];
  cruise: ICruiseResult;
}

/** `src/web/pages/x.ts` → `src/web/`, `src/main.ts` → `src/main.ts`; null outside src/. */
function topLevel(module: string): string | null {
  const parts = module.split('/');
  if (parts[0] !== 'src' || parts.length < 2) return null;
  return parts.length === 2 ? module : `src/${parts[1]}/`;
}

/** Cycles between top-level entries of src/: one violation per strongly connected component of the collapsed graph. */
export function folderCycles(result: ICruiseResult): Violation[] {
  const edges = new Map<string, Map<string, string>>(); // folder → folder → one example "a.ts → b.ts"
  for (const m of result.modules) {
    const from = topLevel(m.source);
    if (!from) continue;
    for (const d of m.dependencies) {
      const to = topLevel(d.resolved);
      if (!to || to === from) continue;
      const out = edges.get(from) ?? new Map<string, string>();
      if (!out.has(to)) out.set(to, `${m.source} → ${d.resolved}`);
      edges.set(from, out);
    }
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);

  return components.map((component) => {
    const inside = new Set(component);
    const cycle = shortestCycle(component[0]!, (v) => [...(edges.get(v)?.keys() ?? [])].filter((w) => inside.has(w)));
    const via = cycle.map((v, i) => edges.get(v)!.get(cycle[(i + 1) % cycle.length]!)!);
    return { rule: FOLDER_DAG_RULE, from: cycle[0]!, to: cycle[1]!, cycle, via };
  });
}

/** Shortest path from start back to itself (breadth-first); start is on a cycle. */
function shortestCycle(start: string, next: (v: string) => string[]): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of next(v)) {
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

function fromDependencyCruiser(v: IViolation): Violation {
  return {
    rule: v.rule.name,
    from: v.from,
    to: v.to,
    ...(v.cycle ? { cycle: [v.from, ...v.cycle.slice(0, -1).map((c) => c.name)] } : {}),
  };
}

/** Cruises `<baseDir>/src` with the repository's rules and tsconfig; baseDir defaults to the repository. */
export async function checkLayering(baseDir: string = repo): Promise<LayeringReport> {
  const options = await extractDepcruiseOptions(path.join(repo, '.dependency-cruiser.cjs'));
  const tsConfig = extractTSConfig(path.join(repo, 'tsconfig.json'));
  const { output } = await cruise(['src'], { ...options, baseDir }, undefined, { tsConfig });
  const result = output as ICruiseResult;
  const violations = [...result.summary.violations.map(fromDependencyCruiser), ...folderCycles(result)];
  return { violations, cruise: result };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const { violations, cruise: result } = await checkLayering();
  for (const v of violations) {
    console.log(`✗ ${v.rule}: ${v.from} → ${v.to}`);
    v.cycle?.forEach((m, i) => {
      const next = v.cycle![(i + 1) % v.cycle!.length];
      console.log(`    ${m} → ${next}${v.via ? ` (${v.via[i]})` : ''}`);
    });
  }
  const { totalCruised, totalDependenciesCruised } = result.summary;
  const took = `${totalCruised} modules, ${totalDependenciesCruised} dependencies, ${Math.round(performance.now() - started)} ms`;
  console.log(violations.length ? `\n${violations.length} layering violation(s) (${took})` : `✔ layering: no violation (${took})`);
  process.exit(violations.length ? 1 : 0);
}
