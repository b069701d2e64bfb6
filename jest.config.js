/** Two projects: fast unit tests of pure logic, and end-to-end tests that drive
 * real Nx against the real container engine. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false, ignoreCodes: [151002] } }];

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/src'],
      testMatch: ['**/*.spec.ts'],
      setupFiles: ['<rootDir>/jest.unit-env.js'],
      transform: { '^.+\\.ts$': tsJest },
      modulePathIgnorePatterns: ['<rootDir>/lib/'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/e2e'],
      testMatch: ['**/*.e2e.ts'],
      transform: { '^.+\\.ts$': tsJest },
      globalSetup: '<rootDir>/e2e/utils/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/e2e/utils/timeout.ts'],
      modulePathIgnorePatterns: ['<rootDir>/lib/'],
    },
  ],
};
