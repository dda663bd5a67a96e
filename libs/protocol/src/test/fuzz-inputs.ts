/**
 * FOR TESTS ONLY: fast-check arbitraries for decoder fuzzing. Inputs are either
 * arbitrary bytes or valid encodings with a few random edits (byte changes, insertions,
 * deletions, truncation, extension), which reach much deeper into a decoder than noise.
 */
import fc from 'fast-check';

type Edit =
  | { op: 'set'; at: number; value: number }
  | { op: 'insert'; at: number; value: number }
  | { op: 'delete'; at: number }
  | { op: 'truncate'; at: number }
  | { op: 'append'; bytes: Uint8Array };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  },
);

function applyEdit(bytes: Uint8Array, e: Edit): Uint8Array {
  const n = bytes.length;
  switch (e.op) {
    case 'set': {
      if (n === 0) return bytes;
      const out = bytes.slice();
      out[e.at % n] = e.value;
      return out;
    }
    case 'insert': {
      const at = e.at % (n + 1);
      const out = new Uint8Array(n + 1);
      out.set(bytes.subarray(0, at));
      out[at] = e.value;
      out.set(bytes.subarray(at), at + 1);
      return out;
    }
    case 'delete': {
      if (n === 0) return bytes;
      const at = e.at % n;
      const out = new Uint8Array(n - 1);
      out.set(bytes.subarray(0, at));
      out.set(bytes.subarray(at + 1), at);
      return out;
    }
    case 'truncate':
      return bytes.slice(0, e.at % (n + 1));
    case 'append': {
      const out = new Uint8Array(n + e.bytes.length);
      out.set(bytes);
      out.set(e.bytes, n);
      return out;
    }
  }
}

/** Arbitrary bytes, or one of `seeds` with 1..4 random edits. */
export function fuzzInput(seeds: readonly Uint8Array[], maxLength = 256): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 }))
    .map(([seed, edits]) => edits.reduce(applyEdit, seed));
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength }) },
    { weight: 3, arbitrary: mutated },
  );
}

export const FUZZ_RUNS = 100_000;

/**
 * Turns stack traces off for the suite: in fuzzing, thrown errors are the common case and
 * building their stacks is most of the cost.
 */
export function withoutStackTraces(): void {
  const limit = Error.stackTraceLimit;
  beforeAll(() => {
    Error.stackTraceLimit = 0;
  });
  afterAll(() => {
    Error.stackTraceLimit = limit;
  });
}
