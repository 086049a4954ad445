// Layering rules for src/, checked by `npm run depcruise` and by test/unit/layering.test.ts.
// Type-only imports count (tsPreCompilationDeps): a type import is still a dependency between layers.
// The fifth rule, "top-level folders of src/ form a DAG", is not expressible here: dependency-cruiser's
// folder scope looks at every nested folder, not at src/<top>/ as one node. scripts/layering.mjs checks
// it over the same cruise result.

const DRIVERS = '^src/(http|web|cli)/|^src/(main|worker-main)\\.ts$';
const ADAPTERS = '^src/(store|crypto|jobs|mail|files)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere in src/, type-only imports included.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'src/domain imports only src/domain: no npm package (fastify, kysely, pino, …), no node builtin ' +
        '(node:crypto, …), no adapter, driver or other folder of src/. It talks to the world through ports.',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'adapters-not-drivers',
      severity: 'error',
      comment:
        'Adapters (store, crypto, jobs, mail, files) never import drivers (http, web, cli, main.ts, ' +
        'worker-main.ts) nor the composition root (compose.ts): drivers and compose.ts use adapters, not the reverse.',
      from: { path: ADAPTERS },
      to: { path: `${DRIVERS}|^src/compose\\.ts$` },
    },
    {
      name: 'shared-is-a-leaf',
      severity: 'error',
      comment: 'src/shared is importable from every layer, so it imports nothing else from src/.',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'i18n-is-a-leaf',
      severity: 'error',
      comment:
        'src/i18n imports nothing from src/ but itself, src/shared, and types from src/domain (the Locale type ' +
        'and the verification result it words; see the next rule).',
      from: { path: '^src/i18n/' },
      to: { path: '^src/', pathNot: '^src/(i18n|shared|domain)/' },
    },
    {
      name: 'i18n-takes-only-types-from-domain',
      severity: 'error',
      comment: 'What src/i18n takes from src/domain is type-only: no domain code runs inside translation.',
      from: { path: '^src/i18n/' },
      to: { path: '^src/domain/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
