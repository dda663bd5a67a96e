/**
 * Decoder fuzzing (fast-check, FUZZ_RUNS inputs each) for the group layer: arbitrary and
 * mutated SignedMembershipChange, PairwiseGroupPayload and GroupMembershipRecord input
 * fails only with a typed ProtocolError, never another exception.
 */
import fc from 'fast-check';
import { toHex, utf8 } from '../bytes';
import { initProtocol } from '../crypto/sodium';
import { ProtocolError } from '../errors';
import { generateIdentityKeyPair } from '../identity/identity-key';
import { deterministicRandom } from '../random';
import { FUZZ_RUNS, fuzzInput, withoutStackTraces } from '../../test/fuzz-inputs';
import type { MemberDevice } from './member-device';
import { buildMembershipChange, createGroup } from './membership-builder';
import { decodeSignedMembershipChange } from './membership-change';
import { applyMembershipChange } from './membership-chain';
import { deserializeMembershipState, serializeMembershipState } from './membership-record';
import {
  decodePairwiseGroupPayload,
  encodePairwiseGroupPayload,
  openPairwiseGroupPayload,
} from './pairwise-fanout';

beforeAll(initProtocol);

withoutStackTraces();

function typedOnly(f: () => unknown): 'ok' | 'refused' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof ProtocolError) return 'refused';
    throw e;
  }
}

function fixtures() {
  const random = deterministicRandom('group-fuzz');
  const make = (userId: string, deviceId: number) => {
    const identity = generateIdentityKeyPair(random);
    return {
      identity,
      device: { userId, deviceId, identityKey: identity.publicKey } as MemberDevice,
    };
  };
  const alice = make('alice', 1);
  const bob = make('bob', 7);
  const carol = make('carol', 1);
  const genesis = createGroup(
    alice.identity,
    alice.device,
    [bob.device],
    random,
    1_700_000_000_000,
  );
  const add = buildMembershipChange(
    genesis.state,
    alice.identity,
    'add',
    [carol.device],
    1_700_000_000_001,
  );
  const promote = buildMembershipChange(
    add.state,
    alice.identity,
    'promote',
    [bob.device],
    1_700_000_000_002,
  );
  return { alice, bob, genesis, add, promote };
}

describe('group decoders under fuzzing', () => {
  it('SignedMembershipChange: decode and apply throw only typed errors; no edited change is accepted', () => {
    const { genesis, add, promote } = fixtures();
    // Applied to the genesis alone and to the state at epoch 1 (where `promote` would fit).
    const seeds = [genesis.change, add.change, promote.change];
    const valid = new Set(seeds.map(toHex));
    fc.assert(
      fc.property(fuzzInput(seeds, 300), (bytes) => {
        if (valid.has(toHex(bytes))) return true;
        typedOnly(() => decodeSignedMembershipChange(bytes));
        return (
          typedOnly(() => applyMembershipChange(undefined, bytes)) === 'refused' &&
          typedOnly(() => applyMembershipChange(add.state, bytes)) === 'refused'
        );
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('PairwiseGroupPayload: decode and open throw only typed errors', () => {
    const { genesis, bob } = fixtures();
    const seeds = [
      encodePairwiseGroupPayload({
        groupId: genesis.state.groupId,
        epoch: 0,
        body: utf8.encode('hello'),
      }),
      encodePairwiseGroupPayload({
        groupId: genesis.state.groupId,
        epoch: 2 ** 40,
        body: new Uint8Array(0),
      }),
    ];
    const lookup = (id: Uint8Array) => (genesis.state.sameGroup(id) ? genesis.state : undefined);
    fc.assert(
      fc.property(fuzzInput(seeds, 120), (bytes) => {
        typedOnly(() => decodePairwiseGroupPayload(bytes));
        typedOnly(() => openPairwiseGroupPayload(bytes, bob.device, lookup));
        return true;
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('GroupMembershipRecord: deserialize throws only typed errors; what it accepts re-serializes identically', () => {
    const { genesis, promote } = fixtures();
    const seeds = [
      serializeMembershipState(genesis.state),
      serializeMembershipState(promote.state),
    ];
    fc.assert(
      fc.property(fuzzInput(seeds, 300), (bytes) => {
        try {
          return (
            toHex(serializeMembershipState(deserializeMembershipState(bytes))) === toHex(bytes)
          );
        } catch (e) {
          if (e instanceof ProtocolError) return true;
          throw e;
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
