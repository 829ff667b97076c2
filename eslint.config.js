// ESLint flat config for the whole monorepo (ESLint 10 + typescript-eslint, no type-aware rules).
//
// `eslint .` at the root lints packages/*/{src,test}, tools/{src,test,scripts} and bench/;
// each package's own `eslint src test` (nx target `lint`) finds this file by config lookup.
//
// Module boundaries (no-restricted-imports):
//   packages/common   imports no @tsvirt/* package at all
//   packages/client   may import @tsvirt/common only
//   packages/virt*    may import @tsvirt/common and @tsvirt/client, never another daemon
//   tools             may import @tsvirt/client only
// and no file in a package may reach outside its package with a relative import.
// ESLint does not merge one rule's options across config objects (a later object replaces
// the earlier options), so each object below carries the full set of patterns for the files
// it matches: one object per (package kind, directory depth below the package root).
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Deepest directory nesting below a package root that gets its own escape check. */
const MAX_DEPTH = 12;

/** Relative import that climbs out of a package, for a file `depth` directories below its root. */
function escapePattern(depth, where) {
  const ups = depth + 1; // e.g. packages/x/src/a.ts (depth 1): '../../' leaves packages/x
  return {
    regex: `^(\\./)?(\\.\\./){${ups - 1}}\\.\\.(/|$)`,
    message: `Relative import escapes ${where}: import the other package by its @tsvirt/* name instead.`,
  };
}

const scopes = [
  {
    root: 'packages/common',
    label: 'its package',
    restrict: {
      regex: '^@tsvirt/',
      message: '@tsvirt/common is the base layer: it must not import any @tsvirt/* package.',
    },
  },
  {
    root: 'packages/client',
    label: 'its package',
    restrict: {
      regex: '^@tsvirt/(?!common(/|$))',
      message: '@tsvirt/client may import only @tsvirt/common.',
    },
  },
  {
    root: 'packages/virt*',
    label: 'its daemon package',
    restrict: {
      regex: '^@tsvirt/(?!(common|client)(/|$))',
      message: 'A daemon may import only @tsvirt/common and @tsvirt/client, never another daemon (@tsvirt/virt*).',
    },
  },
  {
    root: 'tools',
    label: 'tools/',
    restrict: {
      regex: '^@tsvirt/(?!client(/|$))',
      message: 'tools may import only @tsvirt/client (not @tsvirt/common, not a daemon).',
    },
  },
];

const boundaryConfigs = [];
for (const scope of scopes) {
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const dirs = '*/'.repeat(depth);
    const files = [`${scope.root}/${dirs}*`];
    // the deepest level also covers anything nested further (escape check at that depth)
    if (depth === MAX_DEPTH) files.push(`${scope.root}/${dirs}**/*`);
    boundaryConfigs.push({
      name: `tsvirt/boundaries/${scope.root}/depth-${depth}`,
      files,
      rules: {
        'no-restricted-imports': ['error', { patterns: [scope.restrict, escapePattern(depth, scope.label)] }],
      },
    });
  }
}

export default defineConfig(
  {
    name: 'tsvirt/ignores',
    ignores: [
      '**/dist/',
      '**/node_modules/',
      '**/.nx/',
      '**/coverage/',
      'tmp/',
      'bench/results/',
      'bench/results-libvirt/',
      'docs/',
      '**/*.d.ts',
    ],
  },
  {
    name: 'tsvirt/language',
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  ...tseslint.configs.recommended,
  {
    name: 'tsvirt/rules',
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  ...boundaryConfigs,
);
