/**
 * SessionState <-> SessionStateRecord (storage protobuf). The record holds secrets: it is
 * for the device's own encrypted store only.
 */
import type { MessageShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { KEY_BYTES } from '../crypto/primitives';
import { DecodeError } from '../errors';
import type { RatchetState } from '../ratchet/double-ratchet';
import { SkippedMessageKeys } from '../ratchet/skipped-keys';
import { requireLength } from '../wire/codec';
import type { SessionStateRecordSchema } from '../wire/generated/parley/storage/v1/session_pb';
import { RatchetRecordSchema, SessionStateRecordSchema as StateSchema } from '../wire/generated/parley/storage/v1/session_pb';
import type { SessionState } from './session-state';

type StateRecord = MessageShape<typeof SessionStateRecordSchema>;
const WHAT = 'SessionRecord';

function ratchetToRecord(r: RatchetState) {
  return create(RatchetRecordSchema, {
    rootKey: r.rootKey,
    sendingRatchetPublic: r.sendingRatchetKey.publicKey,
    sendingRatchetPrivate: r.sendingRatchetKey.privateKey,
    sendingChainKey: r.sendingChainKey,
    sendingCounter: r.sendingCounter,
    previousSendingCounter: r.previousSendingCounter,
    receivingRatchetKey: r.receivingRatchetKey,
    receivingChainKey: r.receivingChainKey,
    receivingCounter: r.receivingCounter,
    previousReceivingRatchetKeys: r.previousReceivingRatchetKeys,
    skipped: [...r.skipped.entries()].map((k) => ({
      ratchetKey: k.ratchetKey,
      counter: k.counter,
      messageKey: k.messageKey,
    })),
  });
}

export function sessionToRecord(s: SessionState): StateRecord {
  return create(StateSchema, {
    localIdentityKey: s.localIdentityKey,
    remoteIdentityKey: s.remoteIdentityKey,
    associatedData: s.associatedData,
    pendingPreKey: s.pendingPreKey,
    remoteBaseKey: s.remoteBaseKey,
    ratchet: ratchetToRecord(s.ratchet),
  });
}

const key = (b: Uint8Array, field: string) => requireLength(b, KEY_BYTES, WHAT, field);
const optionalKey = (b: Uint8Array | undefined, field: string) => (b === undefined ? undefined : key(b, field));

export function sessionFromRecord(m: StateRecord): SessionState {
  const r = m.ratchet;
  if (!r) throw new DecodeError('MALFORMED', WHAT, 'missing ratchet');
  if (m.associatedData.length !== 2 * KEY_BYTES) throw new DecodeError('MALFORMED', WHAT, 'associated data');
  const skipped = new SkippedMessageKeys();
  skipped.addAll(
    r.skipped.map((k) => ({
      ratchetKey: key(k.ratchetKey, 'skipped ratchet key'),
      counter: k.counter,
      messageKey: key(k.messageKey, 'skipped message key'),
    })),
  );
  return {
    localIdentityKey: key(m.localIdentityKey, 'local identity'),
    remoteIdentityKey: key(m.remoteIdentityKey, 'remote identity'),
    associatedData: m.associatedData,
    pendingPreKey: m.pendingPreKey
      ? {
          baseKey: key(m.pendingPreKey.baseKey, 'base key'),
          signedPreKeyId: m.pendingPreKey.signedPreKeyId,
          oneTimePreKeyId: m.pendingPreKey.oneTimePreKeyId,
        }
      : undefined,
    remoteBaseKey: optionalKey(m.remoteBaseKey, 'remote base key'),
    ratchet: {
      rootKey: key(r.rootKey, 'root key'),
      sendingRatchetKey: {
        publicKey: key(r.sendingRatchetPublic, 'sending ratchet public'),
        privateKey: key(r.sendingRatchetPrivate, 'sending ratchet private'),
      },
      sendingChainKey: optionalKey(r.sendingChainKey, 'sending chain'),
      sendingCounter: r.sendingCounter,
      previousSendingCounter: r.previousSendingCounter,
      receivingRatchetKey: optionalKey(r.receivingRatchetKey, 'receiving ratchet key'),
      receivingChainKey: optionalKey(r.receivingChainKey, 'receiving chain'),
      receivingCounter: r.receivingCounter,
      previousReceivingRatchetKeys: r.previousReceivingRatchetKeys.map((k) => key(k, 'previous ratchet key')),
      skipped,
    },
  };
}
