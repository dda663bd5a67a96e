import { createSubjects, namespaced, namespacedName, streamSubjects, SUBJECTS } from './subjects';

describe('subjects', () => {
  it('plain subjects start at the root', () => {
    expect(SUBJECTS.prekeys.registerDevice).toBe('parley.prekeys.register-device');
    expect(SUBJECTS.live.device('bob', 2)).toBe('parley.live.bob.2');
    expect(SUBJECTS.events.all).toBe('parley.events.>');
  });

  it('a namespace prefixes every subject', () => {
    const s = createSubjects('ci-42.run_1');
    expect(s.delivery.sendPairwise).toBe('ci-42.run_1.parley.delivery.send-pairwise');
    expect(s.live.device('bob', 2)).toBe('ci-42.run_1.parley.live.bob.2');
    expect(namespaced('ci', SUBJECTS.push.register)).toBe('ci.parley.push.register');
    expect(namespaced(undefined, 'parley.x')).toBe('parley.x');
    expect(namespaced('', 'parley.x')).toBe('parley.x');
  });

  it.each(['a.', '.a', 'a..b', 'a.*', 'a.>', 'a b', 'x'.repeat(65)])(
    'refuses namespace %p',
    (ns) => {
      expect(() => createSubjects(ns)).toThrow(TypeError);
    },
  );

  it('live subjects refuse ids that could add tokens or wildcards', () => {
    expect(() => SUBJECTS.live.device('bob.*', 1)).toThrow(TypeError);
    expect(() => SUBJECTS.live.device('>', 1)).toThrow(TypeError);
    expect(() => SUBJECTS.live.device('bob', 0)).toThrow(TypeError);
  });

  it('stream names carry the namespace without dots', () => {
    expect(namespacedName(undefined, 'PARLEY_EVENTS')).toBe('PARLEY_EVENTS');
    expect(namespacedName('ci.7', 'PARLEY_EVENTS')).toBe('ci_7_PARLEY_EVENTS');
    expect(streamSubjects('ci.7', 'events')).toEqual(['ci.7.parley.events.>']);
  });
});
