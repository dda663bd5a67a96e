#!/usr/bin/env node
// Generates every service's Prisma client (prisma/<service>/schema.prisma ->
// libs/db/src/generated/<service>). Runs as `npm run prisma:generate` and on `npm install`.
//
// The Prisma CLI wants to download its Rust schema engine before it does anything, which
// cannot work offline; the generator never runs that engine, so pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file is enough.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const prismaDir = path.join(root, 'prisma');
const cli = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
if (!existsSync(cli)) {
  // `npm install --package-lock-only`, or an install without devDependencies: nothing to run.
  process.stderr.write('prisma-generate: the prisma CLI is not installed; clients not generated\n');
  process.exit(0);
}
const schemas = readdirSync(prismaDir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(path.join(prismaDir, e.name, 'schema.prisma')))
  .map((e) => path.join('prisma', e.name, 'schema.prisma'));

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};

function generate(schema) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'generate', '--schema', schema], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) {
        const line = output.split('\n').find((l) => l.includes('Generated Prisma Client'));
        process.stdout.write(`${(line ?? `generated ${schema}`).trim()}\n`);
        resolve();
      } else {
        reject(new Error(`prisma generate --schema ${schema} exited ${code}\n${output}`));
      }
    });
  });
}

try {
  await Promise.all(schemas.map(generate));
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
