// Type-aware lint over src/, test/ and contracts/: promise safety first (Express 5 handlers and
// timers swallow nothing silently), then typescript-eslint's recommended type-checked rules.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/generated/**', 'reports/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Async methods that implement a Promise-returning interface (the memory store) need no await.
      '@typescript-eslint/require-await': 'off',
      // Rejections pass on what failed (an abort's reason, a caught error) as it came.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // String(x) of parsed JSON (a provider state's params, a Redis reply) is deliberate.
      '@typescript-eslint/no-base-to-string': 'off',
      // A late-bound `let` read by closures made before it is set cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // The library takes its settings as options; only the CLI reads the environment (issue 14).
    // This also catches `const { env } = process`.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read environment variables in src/cli/ and pass them as options.' },
      ],
    },
  },
  {
    // Tests read JSON answers they then assert on: `any` from res.json() is the point there.
    files: ['test/**/*.ts', 'contracts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
