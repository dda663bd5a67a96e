/**
 * The scripted conversation through the real services: alice, bob (two devices) and carol
 * talk 1:1, in a pairwise group and in a Sender Keys group; carol is removed from the
 * sender-key group and gets nothing she can read; bob's second device goes offline and
 * catches up when it comes back. Every expected delivery is awaited with a timeout; a miss
 * throws (DeliveryTimeoutError) and the demo exits non-zero.
 */
import type { IncomingMessage } from '@parley/client-sdk/node';
import { DemoDevice, waitFor } from './devices';
import { transcript } from './transcript';

/** What happened, for the summary and for the checks of the demo's own test. */
export interface ScenarioResult {
  readonly devices: readonly DemoDevice[];
}

const inGroup = (groupId: string) => (m: IncomingMessage) => m.groupId === groupId;

class ScenarioFailure extends Error {
  override readonly name = 'ScenarioFailure';
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new ScenarioFailure(what);
}

export async function runScenario(url: string): Promise<ScenarioResult> {
  const alice = new DemoDevice(url, 'alice', 1);
  const bob1 = new DemoDevice(url, 'bob', 1);
  const bob2 = new DemoDevice(url, 'bob', 2);
  const carol = new DemoDevice(url, 'carol', 1);
  const all = [alice, bob1, bob2, carol];

  try {
    transcript.section('1. devices register (keys are made on the device) and connect');
    for (const d of all) {
      await d.goOnline();
      const key = Buffer.from(d.client.identityKey).toString('hex').slice(0, 16);
      transcript.line(
        `${d.label} registered: identity key ${key}..., 100 one-time prekeys uploaded, online`,
      );
    }

    transcript.section('2. safety number (compare it out of band)');
    const fromAlice = await alice.client.safetyNumber('bob', 1);
    const fromBob = await bob1.client.safetyNumber('alice', 1);
    transcript.line(`safety number alice <-> bob#1: ${groupsOf5(fromAlice.digits)}`);
    transcript.detail(`bob#1 computes:               ${groupsOf5(fromBob.digits)}`);
    check(fromAlice.digits === fromBob.digits, 'alice and bob compute different safety numbers');
    transcript.detail('they match: no key was substituted between alice and bob#1');

    transcript.section('3. 1:1: alice -> bob (both of his devices), bob replies');
    await direct(alice, 'bob', 'Hi Bob, lunch at noon?', [bob1, bob2]);
    await direct(bob1, 'alice', 'Sure, see you there', [alice, bob2]);
    const copy = bob2.messages.find((m) => m.text === 'Sure, see you there');
    check(copy?.to === 'alice', "bob#2's copy of bob#1's reply should say it went to alice");

    transcript.section('4. pairwise group: every message is encrypted once per member device');
    transcript.line(
      'alice#1 creates pairwise group "weekend trip" with bob and carol (signed genesis, invites over 1:1 sessions)',
    );
    const trip = await alice.client.createGroup('weekend trip', ['bob', 'carol'], {
      mode: 'pairwise',
    });
    transcript.line(
      `group ${trip.groupId.slice(0, 8)}... created, members ${trip.members.join(', ')}`,
    );
    transcript.wire(alice.wiretap.take());
    await group(alice, trip.groupId, 'Who brings the tent?', [bob1, bob2, carol]);
    await group(carol, trip.groupId, 'I have one', [alice, bob1, bob2]);

    transcript.section('5. sender-key group: one ciphertext per message, the server fans it out');
    transcript.line('alice#1 creates sender-key group "project x" with bob and carol');
    const project = await alice.client.createGroup('project x', ['bob', 'carol'], {
      mode: 'sender-keys',
    });
    transcript.line(
      `group ${project.groupId.slice(0, 8)}... created, members ${project.members.join(', ')}`,
    );
    transcript.wire(alice.wiretap.take());
    await group(alice, project.groupId, 'Kick-off at 10', [bob1, bob2, carol]);
    await group(bob2, project.groupId, 'Slides are ready', [alice, bob1, carol]);
    await group(alice, project.groupId, 'Great, thanks', [bob1, bob2, carol]);

    transcript.section('6. carol is removed from "project x" and can no longer read it');
    const carolBefore = carol.messages.length;
    const carolUndecryptableBefore = carol.undecryptable.length;
    transcript.line('alice#1 (admin) removes carol');
    const after = await alice.client.removeMember(project.groupId, 'carol');
    transcript.line(
      `alice#1 removed carol: epoch ${after.epoch}, members ${after.members.join(', ')} (signed change on the chain)`,
    );
    transcript.wire(alice.wiretap.take());
    // Her client learns it from the gateway's membership frame (and verifies the signed chain).
    await waitFor(
      'carol#1 to learn she was removed',
      () => carol.groups.get(project.groupId)?.active === false,
      5_000,
    ).catch(() => carol.client.refreshGroup(project.groupId));
    const carolView = await carol.client.group(project.groupId);
    check(!carolView.active, "carol's client still thinks she is a member");
    transcript.line("carol#1's client verified the signed removal: she is no longer a member");
    await group(alice, project.groupId, 'Secret plan (carol must not read this)', [bob1, bob2]);
    await group(bob1, project.groupId, 'Agreed', [alice, bob2]);
    // Give anything that might still reach carol time to arrive, and ask the server too.
    await carol.client.drain();
    await new Promise((r) => setTimeout(r, 1_000));
    const newForCarol = carol.messages.slice(carolBefore).filter(inGroup(project.groupId));
    const undecryptableForCarol = carol.undecryptable.slice(carolUndecryptableBefore);
    check(
      newForCarol.length === 0,
      `carol read ${newForCarol.length} message(s) after her removal`,
    );
    transcript.line(
      `carol#1 received nothing after removal: 0 messages, ${undecryptableForCarol.length} undecryptable (the server no longer delivers to her, and alice and bob use fresh sender keys)`,
    );
    try {
      await carol.client.sendToGroup(project.groupId, 'can I still post?');
      throw new ScenarioFailure('carol could still send to the group after her removal');
    } catch (error) {
      if (error instanceof ScenarioFailure) throw error;
      transcript.line(
        `carol#1 tries to post to the group: refused (${error instanceof Error ? error.message : String(error)})`,
      );
    }

    transcript.section(
      '7. offline catch-up: bob#2 goes offline, messages arrive, it reconnects and drains',
    );
    await bob2.goOffline();
    transcript.line('bob#2 is offline (socket closed, client stopped)');
    const missed = ['Are you there, Bob?', 'Call me when you are back'];
    for (const text of missed) await direct(alice, 'bob', text, [bob1]);
    await group(carol, trip.groupId, 'Tent packed', [alice, bob1]);
    missed.push('Tent packed');
    const bob2Before = bob2.messages.length;
    transcript.line('bob#2 comes back online and drains its mailbox:');
    await bob2.goOnline();
    await waitFor('bob#2 to catch up on the 3 messages sent while it was offline', () =>
      missed.every((t) => bob2.messages.slice(bob2Before).some((m) => m.text === t)),
    );
    transcript.line(
      `bob#2 caught up: ${bob2.messages.length - bob2Before} messages received after reconnecting`,
    );

    transcript.section('8. what each device received');
    for (const d of all) {
      const groups = d.messages.filter((m) => m.groupId).length;
      transcript.line(
        `${d.label.padEnd(8)} ${d.messages.length} messages (${d.messages.length - groups} 1:1, ${groups} group), ${d.undecryptable.length} undecryptable`,
      );
    }
    const unexpected = all.flatMap((d) => d.undecryptable.map((u) => `${d.label}: ${u.reason}`));
    check(unexpected.length === 0, `undecryptable messages: ${unexpected.join('; ')}`);
    return { devices: all };
  } finally {
    for (const d of all) await d.goOffline().catch(() => undefined);
  }
}

function groupsOf5(digits: string): string {
  return digits.replace(/(\d{5})(?=\d)/g, '$1 ');
}

async function direct(
  from: DemoDevice,
  to: string,
  text: string,
  expected: DemoDevice[],
): Promise<void> {
  transcript.line(`${from.label} -> ${to} (1:1): "${text}"`);
  await from.client.send(to, text);
  transcript.wire(from.wiretap.take());
  await Promise.all(expected.map((d) => d.expect(text)));
}

async function group(
  from: DemoDevice,
  groupId: string,
  text: string,
  expected: DemoDevice[],
): Promise<void> {
  transcript.line(`${from.label} -> group ${groupId.slice(0, 8)}: "${text}"`);
  await from.client.sendToGroup(groupId, text);
  transcript.wire(from.wiretap.take());
  await Promise.all(expected.map((d) => d.expect(text, groupId)));
}
