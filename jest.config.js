// Two projects: fast unit specs next to the code, and e2e specs in test/ that boot the real app.
// ts-jest transpiles file by file (isolatedModules); `npm run typecheck` does the type checking.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true }, diagnostics: false }] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform,
      setupFiles: ['<rootDir>/src/testing/quiet-logs.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform,
      setupFiles: ['<rootDir>/test/support/setup-env.ts'],
    },
  ],
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
