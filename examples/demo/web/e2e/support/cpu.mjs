// Where a machine's CPU goes during a scenario: every process's user + system time from
// /proc (Linux), before and after, summed by who it belongs to. A page's frames can only be as
// smooth as the cores it shares allow; this tells whether a stall is the page's own work or a
// machine with more to run than it has cores (the benchmark prints it beside the frame gaps).
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on

/** One process: its parent, its CPU ticks so far, its command line. */
function readProcess(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may hold spaces: the fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), cmdline };
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

/** Every process now, by pid; `undefined` where there is no /proc. */
export function cpuSnapshot() {
  let pids;
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const processes = new Map();
  for (const pid of pids) {
    const p = readProcess(pid);
    if (p !== undefined) processes.set(p.pid, p);
  }
  return { at: performance.now(), processes };
}

/** Who a process belongs to: a Chromium by its profile folder (`profile-A-...`), with its kind. */
function owner(p, processes) {
  const command = p.cmdline[0] ?? '';
  if (/sheplang-demo$/.test(command)) return 'the demo server';
  if (/(^|\/)node$/.test(command)) return 'node (the driver)';
  if (/chrom/.test(command)) {
    const kind = /--type=([\w-]+)/.exec(p.cmdline.join(' '))?.[1] ?? 'browser';
    // Chromium's children do not carry the profile: walk up to the browser process that does.
    for (let q = p, hops = 0; q !== undefined && hops < 8; q = processes.get(q.ppid), hops += 1) {
      const profile = q.cmdline.map((arg) => /--user-data-dir=.*profile-([\w]+)-/.exec(arg)?.[1]).find(Boolean);
      if (profile !== undefined) return `chromium ${profile}: ${kind}`;
    }
    return `chromium: ${kind}`;
  }
  return `other: ${command.split('/').at(-1) || `[${p.pid}]`}`;
}

/**
 * CPU seconds spent between two snapshots, by owner (largest first), and how many cores that
 * kept busy over the wall time between them. Processes born in between count from zero.
 */
export function cpuSpent(before, after) {
  if (before === undefined || after === undefined) return undefined;
  const byOwner = new Map();
  for (const p of after.processes.values()) {
    const start = before.processes.get(p.pid)?.ticks ?? 0;
    const seconds = (p.ticks - start) / TICKS_PER_SECOND;
    if (seconds <= 0) continue;
    const who = owner(p, after.processes);
    byOwner.set(who, (byOwner.get(who) ?? 0) + seconds);
  }
  const wallSeconds = (after.at - before.at) / 1000;
  const total = [...byOwner.values()].reduce((sum, s) => sum + s, 0);
  return {
    wallSeconds,
    cores: availableParallelism(),
    busyCores: wallSeconds > 0 ? total / wallSeconds : 0,
    byOwner: [...byOwner.entries()].sort((a, b) => b[1] - a[1]),
  };
}
