import { DeviceAddressSchema, DeviceIdSchema, UserIdSchema } from './ids';

describe('ids', () => {
  it.each(['alice', 'A', 'bob_2', 'x-y-z', 'a'.repeat(64), '550e8400-e29b-41d4-a716-446655440000'])(
    'accepts user id %s',
    (id) => {
      expect(UserIdSchema.safeParse(id).success).toBe(true);
    },
  );

  it.each(['', 'a'.repeat(65), 'alice.smith', 'a*', 'a>', 'a b', 'ålice', 'a/b', 7])(
    'refuses user id %p',
    (id) => {
      expect(UserIdSchema.safeParse(id).success).toBe(false);
    },
  );

  it.each([1, 2, 0xffff_ffff])('accepts device id %p', (id) => {
    expect(DeviceIdSchema.safeParse(id).success).toBe(true);
  });

  it.each([0, -1, 1.5, 0x1_0000_0000, '1', Number.NaN])('refuses device id %p', (id) => {
    expect(DeviceIdSchema.safeParse(id).success).toBe(false);
  });

  it('a device address is a user id and a device id', () => {
    expect(DeviceAddressSchema.parse({ userId: 'bob', deviceId: 3 })).toEqual({
      userId: 'bob',
      deviceId: 3,
    });
    expect(DeviceAddressSchema.safeParse({ userId: 'bob' }).success).toBe(false);
  });
});
