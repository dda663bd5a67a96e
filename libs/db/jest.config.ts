export default {
  displayName: 'db',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/db',
  testTimeout: 60_000,
};
