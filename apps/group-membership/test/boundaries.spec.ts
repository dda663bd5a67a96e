/**
 * The server may check signatures but must never load session or ratchet code: its sources
 * import the protocol only through `@parley/protocol/verify`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('group-membership import boundaries', () => {
  const files = sourceFiles(join(__dirname, '..', 'src'));

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files.map((f) => [f.slice(f.indexOf('src')), f]))(
    '%s imports the protocol only via /verify',
    (_, file) => {
      const specifiers = [...readFileSync(file, 'utf8').matchAll(/from\s+'([^']+)'/g)].map(
        (m) => m[1]!,
      );
      const protocol = specifiers.filter(
        (s) => s.startsWith('@parley/protocol') || s.includes('libs/protocol'),
      );
      expect(protocol.filter((s) => s !== '@parley/protocol/verify')).toEqual([]);
    },
  );
});
