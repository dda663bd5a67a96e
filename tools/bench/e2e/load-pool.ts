/** The orchestrator's side of the load processes: fork them, send commands, await replies. */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import path from 'node:path';
import type { WorkerCommand, WorkerReply } from './protocol';
import { tsxNodeArgs } from './stack';

type ReplyOf<T extends WorkerReply['type']> = Extract<WorkerReply, { type: T }>;

export class LoadProcess {
  private readonly waiting: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }[] = [];

  constructor(
    readonly index: number,
    readonly child: ChildProcess,
  ) {
    child.on('message', (m: WorkerReply) => {
      const w = this.waiting.shift();
      if (!w) return;
      if (m.type === 'error') w.reject(new Error(`load process ${index}: ${m.message}`));
      else w.resolve(m);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`load process ${index} exited with ${String(code)}`));
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Sends a command; resolves with its reply (commands are answered in order). */
  call<T extends WorkerReply['type']>(command: WorkerCommand, expect: T): Promise<ReplyOf<T>> {
    return new Promise<WorkerReply>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.send(command);
    }).then((r) => {
      if (r.type !== expect) throw new Error(`load process ${this.index}: expected ${expect}, got ${r.type}`);
      return r as ReplyOf<T>;
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'stop' } satisfies WorkerCommand);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

export async function startLoadProcesses(
  count: number,
  init: Omit<Extract<WorkerCommand, { type: 'init' }>, 'type' | 'index'>,
  cpuProfDir?: string,
): Promise<LoadProcess[]> {
  const profile = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(cpuProfDir, 'generator')}`] : [];
  const procs = Array.from(
    { length: count },
    (_, i) =>
      new LoadProcess(
        i,
        fork(path.join(__dirname, 'load-worker.ts'), [], {
          execArgv: [...tsxNodeArgs(), ...profile],
          serialization: 'advanced',
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      ),
  );
  await Promise.all(procs.map((p) => p.call({ type: 'init', index: p.index, ...init }, 'ready')));
  return procs;
}
