/** Slow runs that measure; `npx nx run prekey-directory:stress`, not part of `test`. */
export default {
  displayName: 'prekey-directory-stress',
  preset: '../../jest.preset.js',
  testMatch: ['**/test/stress/**/*.stress.ts'],
  testTimeout: 300_000,
};
