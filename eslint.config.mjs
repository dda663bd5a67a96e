// Flat config: typescript-eslint strict type-checked rules everywhere, and Nx's
// module-boundary rule with the dependency constraints of DESIGN.md.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules', '**/dist', '**/generated/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...nx.configs['flat/base'],
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // The protocol depends on no other lib of the repo.
            { sourceTag: 'scope:protocol', onlyDependOnLibsWithTags: [] },
            // Servers never import the protocol's session/ratchet code; they see
            // contracts and the server kit only (key verification goes through
            // the protocol's public verify helpers, tagged type:verify).
            {
              sourceTag: 'scope:server',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:server', 'type:verify', 'scope:testing'],
            },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:client',
              onlyDependOnLibsWithTags: ['scope:protocol', 'scope:shared', 'scope:client', 'scope:testing'],
            },
            // Integration-test helpers (libs/testing): they build migrated databases, so they
            // reach the server data lib; anything may use them in its tests.
            {
              sourceTag: 'scope:testing',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:server', 'scope:testing'],
            },
            // Scripts under tools/ (stack, demo, benchmarks) may use any lib.
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  {
    // The protocol is pure: no framework, transport or database.
    files: ['libs/protocol/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/protocol/src/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@nestjs/*', 'nats', '@prisma/*', 'pg', 'ws', 'node:*', 'fs', 'net', 'http'] },
      ],
    },
  },
  {
    // The SDK core runs in browsers too: Node-only modules stay in its node entry.
    files: ['apps/client-sdk/src/lib/**/*.ts', 'apps/client-sdk/src/index.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', 'fs', 'path', 'os', 'crypto', 'net', 'http', 'https', 'ws'] },
      ],
    },
  },
  {
    // Servers structurally cannot hold keys: only the verify slice of the protocol.
    files: ['apps/**/*.ts', 'libs/server-kit/**/*.ts', 'libs/contracts/**/*.ts', 'libs/db/**/*.ts'],
    ignores: ['apps/client-sdk/**', '**/*.spec.ts', '**/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@parley/protocol', message: 'servers import @parley/protocol/verify only' }] },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
