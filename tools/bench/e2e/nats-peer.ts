/**
 * The other side of the raw NATS ceilings, in a process of its own (as a service would
 * be): answers `<prefix>.echo` requests and counts `<prefix>.pub` messages. Driven over IPC
 * by ceilings.ts.
 */
import { connect } from 'nats';

async function main(): Promise<void> {
  const [url, prefix] = process.argv.slice(2);
  if (!url || !prefix) throw new Error('usage: nats-peer.ts <nats-url> <subject-prefix>');
  const nc = await connect({ servers: url, noEcho: true });
  let received = 0;
  nc.subscribe(`${prefix}.echo`, {
    callback: (_err, msg) => {
      msg.respond(msg.data);
    },
  });
  nc.subscribe(`${prefix}.pub`, {
    callback: () => {
      received++;
    },
  });
  await nc.flush();
  process.on('message', (m: { type: string }) => {
    if (m.type === 'count') process.send?.({ type: 'count', received });
    if (m.type === 'reset') {
      received = 0;
      process.send?.({ type: 'reset' });
    }
    if (m.type === 'stop') void nc.drain().then(() => process.exit(0));
  });
  process.send?.({ type: 'ready' });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
