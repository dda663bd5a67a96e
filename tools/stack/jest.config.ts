export default {
  displayName: 'stack',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/tools/stack',
  testTimeout: 60_000,
};
