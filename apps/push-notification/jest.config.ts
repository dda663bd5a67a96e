export default {
  displayName: 'push-notification',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/push-notification',
  testTimeout: 30_000,
};
