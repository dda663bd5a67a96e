export default {
  displayName: 'protocol',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/protocol',
  testTimeout: 120_000,
};
