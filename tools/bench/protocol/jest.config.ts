export default {
  displayName: 'bench-protocol',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/tools/bench/protocol',
  testTimeout: 60_000,
};
