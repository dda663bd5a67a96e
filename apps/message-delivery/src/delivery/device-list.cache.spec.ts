import { setTimeout as sleep } from 'node:timers/promises';
import { DeviceListCache } from './device-list.cache';

const d = (userId: string, deviceId: number) => ({ userId, deviceId });

describe('DeviceListCache', () => {
  it('keeps lists read at the current generation', () => {
    const cache = new DeviceListCache({ maxUsers: 10, ttlMs: 60_000 });
    cache.setAll(new Map([['bob', [d('bob', 1)]]]), cache.generation);
    expect(cache.get('bob')).toEqual([d('bob', 1)]);
  });

  it('does not keep a list read before a drop of any user (it may predate the change)', () => {
    const cache = new DeviceListCache({ maxUsers: 10, ttlMs: 60_000 });
    const readAt = cache.generation;
    cache.drop('bob');
    cache.setAll(new Map([['bob', [d('bob', 1)]]]), readAt);
    expect(cache.get('bob')).toBeUndefined();
  });

  it('drop forgets one user, clear forgets all', () => {
    const cache = new DeviceListCache({ maxUsers: 10, ttlMs: 60_000 });
    cache.setAll(
      new Map([
        ['bob', [d('bob', 1)]],
        ['carol', [d('carol', 1)]],
        ['dave', []],
      ]),
      cache.generation,
    );
    cache.drop('bob');
    expect(cache.get('bob')).toBeUndefined();
    expect(cache.get('carol')).toEqual([d('carol', 1)]);
    expect(cache.get('dave')).toEqual([]);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('is bounded by maxUsers (least recently used go first)', () => {
    const cache = new DeviceListCache({ maxUsers: 2, ttlMs: 60_000 });
    const g = cache.generation;
    cache.setAll(
      new Map([
        ['a', [d('a', 1)]],
        ['b', [d('b', 1)]],
      ]),
      g,
    );
    cache.get('a');
    cache.setAll(new Map([['c', [d('c', 1)]]]), g);
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('forgets a list after ttlMs', async () => {
    const cache = new DeviceListCache({ maxUsers: 10, ttlMs: 20 });
    cache.setAll(new Map([['bob', [d('bob', 1)]]]), cache.generation);
    expect(cache.get('bob')).toBeDefined();
    await sleep(60);
    expect(cache.get('bob')).toBeUndefined();
  });

  it('with ttlMs 0 keeps nothing', () => {
    const cache = new DeviceListCache({ maxUsers: 10, ttlMs: 0 });
    cache.setAll(new Map([['bob', [d('bob', 1)]]]), cache.generation);
    expect(cache.get('bob')).toBeUndefined();
  });
});
