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
});
