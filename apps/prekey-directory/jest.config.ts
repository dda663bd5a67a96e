export default {
  displayName: 'prekey-directory',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/prekey-directory',
  testTimeout: 30_000,
};
