// ESLint flat config. Type-aware rules catch un-awaited promises (a forgotten `await` on an activity
// or a Temporal API call silently breaks a workflow). Workflow files get a sandbox rule: no Node
// built-ins and no activity implementations (type-only imports are fine), since anything reachable
// from src/workflows is bundled into Temporal's deterministic sandbox.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_')).flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'lib/',
      '.tools/',
      '.lakeloop/',
      '.venv/',
      'coverage/',
      'bench/results/',
      'docs/api/',
      // The consumer example is its own project: test/package/consumer-example.test.ts type-checks it
      // (strict tsc) against the packed package, which this project's type service cannot resolve.
      'examples/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'Workflow code runs in a deterministic sandbox: do I/O in an activity instead.',
            })),
            ...['@temporalio/activity', '@temporalio/client', '@temporalio/worker', 'openid-client'].map(
              (name) => ({
                name,
                message:
                  'Not available in the workflow sandbox: call an activity, or import from @temporalio/workflow.',
              }),
            ),
          ],
          patterns: [
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/databricks/**',
                '**/auth/**',
                '**/config/**',
                '**/mlflow/**',
              ],
              allowTypeImports: true,
              message: 'Workflows may import only the types of activities and I/O modules (`import type`).',
            },
          ],
        },
      ],
    },
  },
);
