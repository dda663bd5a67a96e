/** What the stack itself started, so `down` stops exactly that and nothing else. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServiceInstance } from './services';

export type StartedPostgres =
  | { readonly kind: 'debian'; readonly version: string }
  | { readonly kind: 'embedded'; readonly pgCtl: string; readonly dataDir: string };

export interface StartedState {
  postgres?: StartedPostgres;
  nats?: { readonly pid: number; readonly port: number };
  /** Service processes started by `up --services`. */
  services?: ServiceInstance[];
}

const file = (stateDir: string) => path.join(stateDir, 'started.json');

export function readState(stateDir: string): StartedState {
  try {
    return JSON.parse(readFileSync(file(stateDir), 'utf8')) as StartedState;
  } catch {
    return {};
  }
}

export function updateState(stateDir: string, change: (state: StartedState) => void): void {
  const state = readState(stateDir);
  change(state);
  mkdirSync(stateDir, { recursive: true });
  if (!state.postgres && !state.nats && !state.services?.length)
    rmSync(file(stateDir), { force: true });
  else writeFileSync(file(stateDir), `${JSON.stringify(state, null, 2)}\n`);
}
