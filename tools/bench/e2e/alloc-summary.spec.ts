import { allocatedBy, moduleAt, moduleStarts } from './alloc-summary';

describe('alloc-summary', () => {
  const bundle = [
    '"use strict";',
    '// node_modules/zod/v4/core/core.js',
    'var a = 1;',
    '// node_modules/@prisma/client/runtime/client.js',
    'var b = 2;',
    '// apps/message-delivery/src/delivery/mailbox.repository.ts',
    'var c = 3;',
  ].join('\n');

  it('names the package or app of a bundle line', () => {
    const starts = moduleStarts(bundle);
    expect(starts).toEqual([
      { line: 2, module: 'zod' },
      { line: 4, module: '@prisma/client' },
      { line: 6, module: 'apps/message-delivery' },
    ]);
    expect(moduleAt(starts, 1)).toBe('(bundle)');
    expect(moduleAt(starts, 3)).toBe('zod');
    expect(moduleAt(starts, 5)).toBe('@prisma/client');
    expect(moduleAt(starts, 7)).toBe('apps/message-delivery');
  });

  it('sums self bytes by key over the whole tree', () => {
    const node = (functionName: string, selfSize: number, children: unknown[] = []) => ({
      callFrame: { functionName, url: 'main.js', lineNumber: 0 },
      selfSize,
      children,
    });
    const head = node('(root)', 0, [node('f', 10, [node('g', 5), node('f', 1)]), node('g', 2)]);
    expect(allocatedBy(head as never, (n) => n.callFrame.functionName)).toEqual(
      new Map([
        ['f', 11],
        ['g', 7],
      ]),
    );
  });
});
