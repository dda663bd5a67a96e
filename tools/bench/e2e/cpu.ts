/**
 * CPU time per process from /proc (Linux), so each step can say which process used the
 * cores: the services, the load generator, PostgreSQL and nats-server; and how long each
 * waited for one (run-queue time, breakdown.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

/** User + system CPU seconds of one process, or undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** Pids whose command name is `comm` (e.g. `postgres`, `nats-server`). */
export function pidsByName(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** PostgreSQL backends serving `database` (their process title names it). */
export function postgresBackendPids(database: string): number[] {
  return pidsByName('postgres').filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${database} `);
    } catch {
      return false;
    }
  });
}

/** Busy and total CPU seconds of the whole machine (all cores). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS_PER_S, total: total / TICKS_PER_S };
}

export type CpuGroups = Record<string, () => readonly number[]>;

/** Seconds the threads of `pid` have spent ready to run but not running, or undefined when it is gone. */
export function runQueueSeconds(pid: number): number | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      // schedstat: time on a CPU, time waiting on a run queue (both ns), timeslices.
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1] ?? 0);
    } catch {
      // thread exited meanwhile
    }
  }
  return ns / 1e9;
}

/** A per-process reading (seconds so far) of every pid of each named group. */
export type GroupSnapshot = Record<string, Map<number, number>>;

export function groupSnapshot(groups: CpuGroups, read: (pid: number) => number | undefined): GroupSnapshot {
  const out: GroupSnapshot = {};
  for (const [name, pids] of Object.entries(groups)) {
    const m = new Map<number, number>();
    for (const pid of pids()) {
      const s = read(pid);
      if (s !== undefined) m.set(pid, s);
    }
    out[name] = m;
  }
  return out;
}

/**
 * Seconds per second of each group between two snapshots taken `seconds` apart. Per process:
 * one seen only afterwards started in between (all of its reading counts); one that exited in
 * between is lost (a lower bound: connection pools that reconnect do this to PostgreSQL
 * backends).
 */
export function perSecondBetween(before: GroupSnapshot, after: GroupSnapshot, seconds: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pids] of Object.entries(after)) {
    let used = 0;
    for (const [pid, s] of pids) used += s - (before[name]?.get(pid) ?? 0);
    out[name] = Math.max(0, used / seconds);
  }
  return out;
}

/** CPU seconds per pid of each named group, and of the whole machine. */
export interface CpuSnapshot {
  readonly groups: GroupSnapshot;
  readonly machine: number;
}

export function cpuSnapshot(groups: CpuGroups): CpuSnapshot {
  return { groups: groupSnapshot(groups, processCpuSeconds), machine: machineCpuSeconds().busy };
}

/** Cores used per group between two snapshots taken `seconds` apart (see perSecondBetween). */
export function coresBetween(before: CpuSnapshot, after: CpuSnapshot, seconds: number): Record<string, number> {
  return {
    ...perSecondBetween(before.groups, after.groups, seconds),
    machine: Math.max(0, (after.machine - before.machine) / seconds),
  };
}
