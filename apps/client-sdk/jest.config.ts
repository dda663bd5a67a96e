export default {
  displayName: 'client-sdk',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/client-sdk',
  testTimeout: 60_000,
};
