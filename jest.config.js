// Unit tests sit beside the code (src/.../*.test.ts), integration tests beside it as *.int.test.ts, end-to-end tests in test/.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' }, sourceMaps: 'inline' }] };
const base = { transform, testEnvironment: 'node', modulePathIgnorePatterns: ['<rootDir>/.*/dist/'] };

module.exports = {
  maxWorkers: 2,
  testTimeout: 30_000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,services}/*/src/**/*.test.ts', '<rootDir>/bench/src/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,services}/*/src/**/*.int.test.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/{e2e,static}/**/*.test.ts'],
    },
    // Faults and hostile input (npm run test:chaos) and the long soak (npm run test:soak): not in `npm test`.
    {
      ...base,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.test.ts'],
      testPathIgnorePatterns: ['soak\\.test\\.ts$'],
    },
    {
      ...base,
      displayName: 'soak',
      testMatch: ['<rootDir>/test/chaos/soak.test.ts'],
    },
  ],
};
