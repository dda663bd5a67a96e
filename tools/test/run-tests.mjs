// Runs the whole jest suite once and ends with one plain summary line
// ("tests: N passed, N failed") that CI reads. Extra args go to jest.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

mkdirSync('tmp', { recursive: true });
const out = 'tmp/jest-results.json';
const jest = spawnSync(
  'npx',
  ['jest', '-c', 'jest.config.ts', '--maxWorkers=2', '--json', `--outputFile=${out}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(readFileSync(out, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
} catch {
  failed = 1;
}
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
process.exit(jest.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
