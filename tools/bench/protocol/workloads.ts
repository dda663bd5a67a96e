/**
 * The workloads both libraries implement, and the list the benchmark runs. One op is:
 * - setup: bundle -> Alice's first (prekey) message -> Bob decrypts -> Bob's reply ->
 *   Alice decrypts, from empty session records;
 * - one-way: one message Alice -> Bob (encrypt, decrypt), sent in bursts of the batch size;
 * - ping-pong: one message, direction alternating, so each is a DH ratchet step;
 * - sender-key: one sender-key message encrypted and decrypted (one receiver);
 * - group-pairwise: one group message sent to every member over its 1:1 session
 *   (sender's cost only: members' decrypts are the 1:1 workloads);
 * - group-senderkey: one group message, sender's cost only (one encrypt, any group size);
 * - group-senderkey+recv: one group message plus every member decrypting it (total CPU).
 * Every party serializes its state after every message it sends or receives.
 */
import type { Runner } from './harness';

export interface SessionSizes {
  readonly initiator: number;
  readonly responder: number;
}

export interface LibraryBench {
  readonly name: 'parley' | 'libsignal';
  setup(): Runner | Promise<Runner>;
  oneWay(): Runner | Promise<Runner>;
  pingPong(): Runner | Promise<Runner>;
  senderKey(): Runner | Promise<Runner>;
  groupPairwise(members: number): Runner | Promise<Runner>;
  groupSenderKey(members: number, withDecrypts: boolean): Runner | Promise<Runner>;
  /** Serialized session record sizes after `eachWay` messages each way, alternating. */
  sessionSizes(eachWay: number): SessionSizes | Promise<SessionSizes>;
}

export interface WorkloadSpec {
  readonly workload: string;
  readonly members?: number;
  readonly unit: string;
  readonly target?: number;
  readonly make: (lib: LibraryBench) => Runner | Promise<Runner>;
}

export function workloadSpecs(groupSizes: readonly number[]): WorkloadSpec[] {
  const specs: WorkloadSpec[] = [
    { workload: 'session-setup', unit: 'setup', target: 1.5, make: (l) => l.setup() },
    { workload: 'one-way', unit: 'msg', target: 2, make: (l) => l.oneWay() },
    { workload: 'ping-pong', unit: 'msg', target: 1.5, make: (l) => l.pingPong() },
    { workload: 'sender-key', unit: 'msg', target: 2, make: (l) => l.senderKey() },
  ];
  for (const m of groupSizes) {
    specs.push({
      workload: 'group-pairwise',
      members: m,
      unit: 'group msg',
      target: 2,
      make: (l) => l.groupPairwise(m),
    });
  }
  for (const m of groupSizes) {
    specs.push({
      workload: 'group-senderkey',
      members: m,
      unit: 'group msg',
      target: 2,
      make: (l) => l.groupSenderKey(m, false),
    });
  }
  for (const m of groupSizes) {
    specs.push({
      workload: 'group-senderkey+recv',
      members: m,
      unit: 'group msg',
      make: (l) => l.groupSenderKey(m, true),
    });
  }
  return specs;
}

/** Every decrypt is checked: a benchmark that decrypts garbage measures nothing. */
export function assertSame(actual: Uint8Array, expected: Uint8Array): void {
  if (
    actual.length !== expected.length ||
    !Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected)
  ) {
    throw new Error('decrypted payload differs from what was sent');
  }
}
