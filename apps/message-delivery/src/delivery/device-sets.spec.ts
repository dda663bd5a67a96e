import { compareDeviceSets } from './device-sets';

const a = (userId: string, deviceId: number) => ({ userId, deviceId });

describe('compareDeviceSets', () => {
  it('is empty both ways for the same set in any order', () => {
    expect(compareDeviceSets([a('b', 1), a('b', 2)], [a('b', 2), a('b', 1)])).toEqual({
      missing: [],
      stale: [],
    });
  });

  it('lists missing in expected order and stale in named order', () => {
    expect(
      compareDeviceSets([a('b', 1), a('b', 2), a('c', 1)], [a('x', 9), a('b', 2), a('b', 3)]),
    ).toEqual({ missing: [a('b', 1), a('c', 1)], stale: [a('x', 9), a('b', 3)] });
  });

  it('does not confuse user b/12 with b1/2', () => {
    expect(compareDeviceSets([a('b', 12)], [a('b1', 2)])).toEqual({
      missing: [a('b', 12)],
      stale: [a('b1', 2)],
    });
  });
});
