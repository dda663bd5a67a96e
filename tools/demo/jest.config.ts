export default {
  displayName: 'demo',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/tools/demo',
  testTimeout: 150_000,
};
