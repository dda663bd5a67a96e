export default {
  displayName: 'message-delivery',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/message-delivery',
  testTimeout: 30_000,
};
