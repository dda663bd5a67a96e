export default {
  displayName: 'bench-e2e',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/tools/bench/e2e',
  testTimeout: 30_000,
};
