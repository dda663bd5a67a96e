import { CLOSE_REPLACED, ConnectionRegistry } from './connection.registry';

class FakeSocket {
  closed: { code?: number; reason?: string } | undefined;
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }
}

const alice1 = { userId: 'alice', deviceId: 1 };
const alice2 = { userId: 'alice', deviceId: 2 };

describe('ConnectionRegistry', () => {
  it('keeps one socket per device and closes the one it replaces', () => {
    const registry = new ConnectionRegistry<FakeSocket>();
    const first = new FakeSocket();
    const second = new FakeSocket();
    expect(registry.add(alice1, first)).toBeUndefined();
    expect(registry.add(alice2, new FakeSocket())).toBeUndefined();
    expect(registry.add(alice1, second)).toBe(first);
    expect(first.closed?.code).toBe(CLOSE_REPLACED);
    expect(registry.get(alice1)).toBe(second);
    expect(registry.size).toBe(2);
  });

  it("ignores a replaced socket's late removal", () => {
    const registry = new ConnectionRegistry<FakeSocket>();
    const first = new FakeSocket();
    const second = new FakeSocket();
    registry.add(alice1, first);
    registry.add(alice1, second);
    expect(registry.remove(alice1, first)).toBe(false);
    expect(registry.get(alice1)).toBe(second);
    expect(registry.remove(alice1, second)).toBe(true);
    expect(registry.get(alice1)).toBeUndefined();
    expect(registry.size).toBe(0);
  });

  it('adding the same socket twice is a no-op, closeAll empties', () => {
    const registry = new ConnectionRegistry<FakeSocket>();
    const s = new FakeSocket();
    registry.add(alice1, s);
    expect(registry.add(alice1, s)).toBeUndefined();
    expect(s.closed).toBeUndefined();
    registry.closeAll(1001, 'bye');
    expect(s.closed?.code).toBe(1001);
    expect(registry.size).toBe(0);
    expect(registry.devices()).toEqual([]);
  });
});
