export default {
  displayName: 'build',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/tools/build',
  testTimeout: 120_000,
};
