import { existsSync } from 'node:fs';
import path from 'node:path';

/** Marks the folder: every checkout has it, and nothing else is likely to. */
const MARKER = path.join('prekey-directory', 'schema.prisma');

/**
 * The repository's `prisma/` folder: `PARLEY_PRISMA_DIR` when set (a container image copies the
 * folder somewhere of its own), else the first `prisma/` above the working directory or above
 * this file.
 */
export function resolvePrismaDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['PARLEY_PRISMA_DIR'];
  if (configured) return path.resolve(configured);
  for (const start of [process.cwd(), __dirname]) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'prisma');
      if (existsSync(path.join(candidate, MARKER))) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error('cannot find the prisma/ folder; set PARLEY_PRISMA_DIR');
}
