export default {
  displayName: 'config-docs',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/tools/config-docs',
  testTimeout: 60_000,
};
