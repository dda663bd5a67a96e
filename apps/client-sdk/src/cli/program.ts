/**
 * The `parley` command line: one device per home directory (see home.ts), every command a
 * short-lived SDK client except `listen`, which stays connected.
 */
import { Command, InvalidArgumentError as CommanderArgumentError, Option } from 'commander';
import type { GroupInfo, IncomingMessage, ParleyClient, UndecryptableMessage } from '../node';
import { createNodeClient } from '../node';
import { CliError, EXIT } from './errors';
import type { DeviceConfig } from './home';
import { Home, STORE_KEY_ENV } from './home';
import { Progress } from './progress';

interface GlobalOptions {
  home?: string;
  keyFile?: string;
  quiet?: boolean;
}

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new CommanderArgumentError('expected a positive whole number');
  }
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CommanderArgumentError('expected a number of seconds > 0');
  return n;
}

function userIdArg(value: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    throw new CommanderArgumentError(
      'a user id is 1-64 letters, digits, dots, dashes or underscores',
    );
  }
  return value;
}

const deviceLabel = (a: { userId: string; deviceId: number }) => `${a.userId}#${a.deviceId}`;

export function buildProgram(io: CliIo): Command {
  const program = new Command('parley')
    .description('Parley end-to-end-encrypted messaging from the command line')
    .option('--home <dir>', 'directory of this device (default: $PARLEY_HOME or ~/.parley)')
    .option(
      '--key-file <path>',
      `store key file (default: <home>/store.key; ${STORE_KEY_ENV} wins when set)`,
    )
    .option('-q, --quiet', 'no progress output on stderr')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 unexpected error, 2 bad usage, 3 no device / already registered,
4 store key or store problem, 5 gateway unreachable, 6 refused by the server or protocol,
7 listen --count timed out.`,
    );

  const context = (cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    return {
      home: new Home(
        {
          ...(opts.home ? { home: opts.home } : {}),
          ...(opts.keyFile ? { keyFile: opts.keyFile } : {}),
        },
        io.env,
      ),
      progress: new Progress(opts.quiet ?? false),
    };
  };

  /** The registered device of the home, as an SDK client (not connected). */
  const device = async (
    cmd: Command,
  ): Promise<{ client: ParleyClient; config: DeviceConfig; progress: Progress }> => {
    const { home, progress } = context(cmd);
    const config = await home.readConfig();
    const store = await home.openStore(io.env);
    const client = await createNodeClient({
      serverUrl: config.serverUrl,
      store,
      userId: config.userId,
      deviceId: config.deviceId,
    });
    return { client, config, progress };
  };

  const withDevice = (
    work: (client: ParleyClient, progress: Progress, config: DeviceConfig) => Promise<void>,
  ) =>
    async function (this: Command): Promise<void> {
      const { client, progress, config } = await device(this);
      try {
        await work(client, progress, config);
      } finally {
        await client.close();
      }
    };

  program
    .command('register')
    .description('create this device: keys are made here, the public half goes to the server')
    .argument('<userId>', 'your user id', userIdArg)
    .option('-d, --device <n>', 'device number of this device', positiveInt, 1)
    .option('-s, --server <url>', 'gateway URL (default: $PARLEY_SERVER)')
    .action(async function (
      this: Command,
      userId: string,
      opts: { device: number; server?: string },
    ) {
      const { home, progress } = context(this);
      if (await home.hasConfig()) {
        throw new CliError(
          `${home.dir} already holds a registered device (use another --home)`,
          EXIT.device,
        );
      }
      const serverUrl = opts.server ?? io.env['PARLEY_SERVER'];
      if (!serverUrl)
        throw new CliError('which server? pass --server <url> or set PARLEY_SERVER', EXIT.usage);
      try {
        new URL(serverUrl);
      } catch {
        throw new CliError(`not a URL: ${serverUrl}`, EXIT.usage);
      }
      const store = await home.openStore(io.env, true);
      const client = await createNodeClient({ serverUrl, store, userId, deviceId: opts.device });
      try {
        await progress.step(
          `registering ${userId}#${opts.device} at ${serverUrl} (identity key, signed prekey, 100 one-time prekeys)`,
          () => client.register(),
        );
        await home.writeConfig({ serverUrl, userId, deviceId: opts.device });
        io.out(`registered ${userId}#${opts.device}`);
        io.out(`identity key ${Buffer.from(client.identityKey).toString('hex')}`);
      } finally {
        await client.close();
      }
    });

  program
    .command('whoami')
    .description('this device: user, device number, server, identity key')
    .action(
      withDevice((client, _progress, config) => {
        io.out(`${deviceLabel(client.address)} at ${config.serverUrl}`);
        io.out(`identity key ${Buffer.from(client.identityKey).toString('hex')}`);
        return Promise.resolve();
      }),
    );

  program
    .command('send')
    .description('send a 1:1 message to every device of a user (and a copy to your other devices)')
    .argument('<userId>', 'recipient', userIdArg)
    .argument('<text...>', 'the message')
    .action(async function (this: Command, userId: string, words: string[]) {
      await withDevice(async (client, progress) => {
        await progress.step(`encrypting and sending to ${userId}`, () =>
          client.send(userId, words.join(' ')),
        );
        io.out(`sent to ${userId}`);
      }).call(this);
    });

  program
    .command('listen')
    .description('connect, catch up on what waited, and print messages as they arrive')
    .option('-n, --count <n>', 'exit after this many messages', positiveInt)
    .option(
      '-t, --timeout <seconds>',
      'give up after this long (exit 7 if --count was not reached)',
      seconds,
    )
    .option('--json', 'one JSON object per line')
    .action(async function (
      this: Command,
      opts: { count?: number; timeout?: number; json?: boolean },
    ) {
      await withDevice((client, progress) => listen(client, progress, io, opts)).call(this);
    });

  const group = program
    .command('group')
    .description('groups: create, send, add or remove members, show');

  group
    .command('create')
    .description('create a group with you as its admin; members are invited over 1:1 sessions')
    .argument('<name>', 'group name')
    .argument('<members...>', 'user ids of the other members')
    .addOption(
      new Option('-m, --mode <mode>', 'pairwise fan-out or sender keys')
        .choices(['pairwise', 'sender-keys'])
        .default('pairwise'),
    )
    .action(async function (
      this: Command,
      name: string,
      members: string[],
      opts: { mode: 'pairwise' | 'sender-keys' },
    ) {
      members.forEach(userIdArg);
      await withDevice(async (client, progress) => {
        const info = await progress.step(
          `creating ${opts.mode} group "${name}" and inviting ${members.join(', ')}`,
          () => client.createGroup(name, members, { mode: opts.mode }),
        );
        io.out(info.groupId);
        printGroup(io, info);
      }).call(this);
    });

  group
    .command('send')
    .description('send a message to a group')
    .argument('<groupId>', 'group id (as `group create` printed it)')
    .argument('<text...>', 'the message')
    .action(async function (this: Command, groupId: string, words: string[]) {
      await withDevice(async (client, progress) => {
        await progress.step(`encrypting and sending to group ${groupId.slice(0, 8)}`, () =>
          client.sendToGroup(groupId, words.join(' ')),
        );
        io.out(`sent to group ${groupId}`);
      }).call(this);
    });

  for (const [verb, doing] of [
    ['add', 'adding'],
    ['remove', 'removing'],
  ] as const) {
    group
      .command(verb)
      .description(`${verb} a member (admins only; a signed change on the group's chain)`)
      .argument('<groupId>', 'group id')
      .argument('<userId>', 'member', userIdArg)
      .action(async function (this: Command, groupId: string, userId: string) {
        await withDevice(async (client, progress) => {
          const info = await progress.step(`${doing} ${userId}`, () =>
            verb === 'add'
              ? client.addMember(groupId, userId)
              : client.removeMember(groupId, userId),
          );
          printGroup(io, info);
        }).call(this);
      });
  }

  group
    .command('show')
    .description("a group as this device's verified membership chain says it is")
    .argument('<groupId>', 'group id')
    .action(async function (this: Command, groupId: string) {
      await withDevice(async (client) => {
        printGroup(io, await client.refreshGroup(groupId));
      }).call(this);
    });

  program
    .command('safety-number')
    .description("the safety number with a user's device: compare it with theirs, out of band")
    .argument('<userId>', 'the other user', userIdArg)
    .option('-d, --device <n>', 'their device number (default: their first device)', positiveInt)
    .action(async function (this: Command, userId: string, opts: { device?: number }) {
      await withDevice(async (client) => {
        const number = await client.safetyNumber(userId, opts.device);
        io.out(`safety number with ${userId}#${number.deviceId}:`);
        io.out(number.digits.replace(/(\d{5})(?=\d)/g, '$1 '));
      }).call(this);
    });

  return program;
}

function printGroup(io: CliIo, info: GroupInfo): void {
  io.out(
    `group "${info.name}" (${info.mode}) epoch ${info.epoch}${info.active ? '' : ', you are no longer a member'}`,
  );
  io.out(`members: ${info.members.join(', ')}; admins: ${info.admins.join(', ')}`);
}

async function listen(
  client: ParleyClient,
  progress: Progress,
  io: CliIo,
  opts: { count?: number; timeout?: number; json?: boolean },
): Promise<void> {
  let received = 0;
  let finish: (() => void) | undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const print = (json: object, text: string) => {
    io.out(opts.json ? JSON.stringify(json) : text);
  };
  client.on('message', (m: IncomingMessage) => {
    const where = m.groupId ? `[group ${m.groupId.slice(0, 8)}] ` : m.to ? `[to ${m.to}] ` : '';
    print(
      { type: 'message', ...m, from: deviceLabel(m.from) },
      `${where}${deviceLabel(m.from)}: ${m.text}`,
    );
    received++;
    if (opts.count !== undefined && received >= opts.count) finish?.();
  });
  client.on('undecryptable', (u: UndecryptableMessage) => {
    print(
      { type: 'undecryptable', ...u, from: deviceLabel(u.from) },
      `(a message from ${deviceLabel(u.from)} could not be read: ${u.reason})`,
    );
  });
  client.on('group', (g: GroupInfo) => {
    print(
      { type: 'group', ...g },
      `(group ${g.groupId.slice(0, 8)} "${g.name}" ${g.mode}: epoch ${g.epoch}, members ${g.members.join(', ')}${g.active ? '' : ', you are no longer a member'})`,
    );
  });
  client.on('disconnected', ({ reason }) => {
    progress.note(`disconnected (${reason}); reconnecting...`);
  });
  const stop = () => finish?.();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const timer = opts.timeout === undefined ? undefined : setTimeout(stop, opts.timeout * 1000);
  try {
    await progress.step('connecting and catching up on waiting messages', () => client.connect());
    client.on('connected', () => {
      progress.note('reconnected');
    });
    progress.note(
      `listening as ${deviceLabel(client.address)}${opts.count ? ` for ${opts.count} message(s)` : ''} (Ctrl-C to stop)`,
    );
    if (opts.count === undefined || received < opts.count) await done;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (opts.count !== undefined && received < opts.count) {
    throw new CliError(
      `got ${received} of ${opts.count} message(s) before the timeout`,
      EXIT.timeout,
    );
  }
}
