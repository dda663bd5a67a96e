export default {
  displayName: 'server-kit',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/server-kit',
  testTimeout: 30_000,
};
