// Every project's jest config, run as one jest invocation (`npm test`).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['apps', 'libs', 'tools', 'tools/bench'];
const projects = roots.flatMap((root) =>
  existsSync(join(__dirname, root))
    ? readdirSync(join(__dirname, root))
        .map((name) => join(__dirname, root, name, 'jest.config.ts'))
        .filter((config) => existsSync(config))
    : [],
);

// testTimeout is a global option: per-project values are ignored in a multi-project run.
export default { projects, testTimeout: 120_000 };
