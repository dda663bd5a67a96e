import { FrameBudget } from './frame-budget';

describe('FrameBudget', () => {
  it("allows a second's worth at once, then refills with time", () => {
    const budget = new FrameBudget(3, 0);
    expect([budget.take(0), budget.take(0), budget.take(0), budget.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(budget.take(200)).toBe(false); // 0.6 of a frame refilled
    expect(budget.take(400)).toBe(true); // 1.2
    expect(budget.take(10_000)).toBe(true); // capped at 3, not 30
    expect([budget.take(10_000), budget.take(10_000), budget.take(10_000)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('says how long until the next frame is allowed', () => {
    const budget = new FrameBudget(4, 0);
    for (let i = 0; i < 4; i++) budget.take(0);
    expect(budget.take(0)).toBe(false);
    expect(budget.retryAfterMs()).toBe(250);
    expect(budget.take(100)).toBe(false); // 0.4 of a frame
    expect(budget.retryAfterMs()).toBe(150);
    expect(budget.take(250)).toBe(true);
  });
});
