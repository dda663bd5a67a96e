export default {
  displayName: 'group-membership',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/group-membership',
  testTimeout: 30_000,
};
