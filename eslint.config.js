// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules, without type
// information (fast enough for every commit). `npm run lint`; CI runs it (.ci/run). Formatting is
// Prettier's (.prettierrc.json), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'native/', 'prebuilds/', 'coverage/', 'bench-data/', '.demo/', '.iamtrim/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        structuredClone: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      // Unused bindings are errors, except the `_`-prefixed ones a signature needs.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Flags deliberate initial values (`let url = ''` set later by a callback) and trailing
      // counters (`n++` in the last call); tsc's definite-assignment checks cover the real cases.
      'no-useless-assignment': 'off',
    },
  },
);
