/** `npm run demo`: the main job. Until the services land, it runs the protocol demo. */
import { runProtocolDemo } from './protocol-demo';

runProtocolDemo().then(
  () => process.stdout.write('\ndemo finished: every message decrypted as expected\n'),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
