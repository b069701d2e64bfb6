// ESLint flat config, as Nx repositories have it: @eslint/js and
// typescript-eslint's recommended rules; Prettier owns the layout.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'lib/',
      'dist/',
      'tmp/',
      'node_modules/',
      'coverage/',
      'src/generators/*/files/',
      'examples/**/node_modules/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', 'e2e/**', 'bench/**', 'scripts/**', '**/*.js', '**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests read JSON written by Nx, conda and the engine: typing every shape would add nothing.
    files: ['**/*.spec.ts', 'e2e/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
