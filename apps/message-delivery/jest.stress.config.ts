/** Slow runs that measure; `npx nx run message-delivery:stress`, not part of `test`. */
export default {
  displayName: 'message-delivery-stress',
  preset: '../../jest.preset.js',
  testMatch: ['**/test/stress/**/*.stress.ts'],
  testTimeout: 300_000,
};
