// ESLint (flat config): `npm run lint`, and a step of `npm test`. Formatting is Prettier's job, not ESLint's.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  { ignores: ['dist/', 'data/', 'node_modules/', 'test-results/', 'coverage/'] },

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    files: ['**/*.{ts,mts,js,mjs,cjs}'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      // `let x; … closures that read x …; x = …` (a server handler that needs the object built after listen()) stays let.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Every control-character range in a regular expression here is deliberate (rejecting control characters in
      // input, mail headers, CSV cells); the rule only catches accidental ones, so it is off.
      'no-control-regex': 'off',
      // The server logs through pino; a stray console.* in src/ is a bug. Entry points and tools may print.
      'no-console': 'error',
    },
  },
  {
    files: ['src/cli/**', 'src/main.ts', 'src/worker-main.ts', 'scripts/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Kysely's documented migration signature: a migration must not depend on the app's current schema types.
    files: ['src/store/migrations/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Tests and benchmarks walk parsed JSON documents (credentials, OpenAPI) property by property.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Browser scripts served as they are (classic scripts, no build step).
    files: ['src/web/assets/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
]);
