export default {
  displayName: 'deploy',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/tools/deploy',
  testTimeout: 300_000,
};
