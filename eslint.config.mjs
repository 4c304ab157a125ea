// Type-aware lint. The core folders must not reach VS Code: they are shared by the CLI and the worker
// and are unit-tested in plain Node.
import tseslint from 'typescript-eslint';

const core = ['src/protocol/**', 'src/modelfile/**', 'src/advice/**', 'src/engine/**', 'src/attacks/**', 'src/studies/**', 'src/worker/**', 'src/cli/**', 'src/panel/**'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'src/panel/view/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'multi-line'],
    },
  },
  {
    files: core,
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Core modules stay free of VS Code; put adapters in src/extension.' }] }],
    },
  },
  {
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
