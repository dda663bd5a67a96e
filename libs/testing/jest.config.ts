export default {
  displayName: 'testing',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/testing',
  testTimeout: 60_000,
};
