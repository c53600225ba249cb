// Where a machine's CPU goes during a scenario: every process's user + system time from
// /proc (Linux), before and after, summed by who it belongs to. A page's frames can only be as
// smooth as the cores it shares allow; this tells whether a stall is the page's own work or a
// machine with more to run than it has cores (the benchmark prints it beside the frame gaps).
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on

/**
 * One process: its parent, its CPU ticks so far, those of its children that ended and were
 * waited for, its command line.
 */
function readProcess(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may hold spaces: the fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid: Number(pid), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), childTicks: Number(fields[13]) + Number(fields[14]), cmdline };
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

/** Whether `p` was started by this process (at any depth): others are other work on the machine. */
function descends(p, processes) {
  for (let q = processes.get(p.ppid), hops = 0; q !== undefined && hops < 16; q = processes.get(q.ppid), hops += 1) {
    if (q.pid === process.pid) return true;
  }
  return false;
}

/**
 * Who a process belongs to: this process (the harness: playwright's end of the browsers), the API
 * writer, the demo server, or a Chromium by its profile folder (`profile-A-...`) or the name
 * `openChromium` gave it (`--sheplang-browser=NAME`), with the kind of process; anything this
 * process did not start is "other" (other work on the machine, another engineer's server).
 */
function owner(p, processes) {
  // A renaming process (Chromium's zygote) puts its whole command line in the first argument.
  const command = p.cmdline[0]?.split(' ')[0] ?? '';
  if (p.pid === process.pid) return 'node (the harness: playwright)';
  if (!descends(p, processes)) return `other: ${command.split('/').at(-1) || `[${p.pid}]`}`;
  if (/sheplang-demo$/.test(command)) return 'the demo server';
  if (/capture-load$/.test(command)) return 'the API writer (capture-load)';
  if (/chrom/.test(command)) {
    const kind = /--type=([\w-]+)/.exec(p.cmdline.join(' '))?.[1] ?? 'browser';
    // Chromium's children do not carry the profile: walk up to the browser process that does.
    for (let q = p, hops = 0; q !== undefined && hops < 8; q = processes.get(q.ppid), hops += 1) {
      const name = q.cmdline
        .map((arg) => /--user-data-dir=.*profile-([\w]+)-/.exec(arg)?.[1] ?? /^--sheplang-browser=([\w]+)$/.exec(arg)?.[1])
        .find(Boolean);
      if (name !== undefined) return `chromium ${name}: ${kind}`;
    }
    return `chromium: ${kind}`;
  }
  return `other: ${command.split('/').at(-1) || `[${p.pid}]`}`;
}

/**
 * CPU seconds spent between two snapshots, by owner (largest first), and how many cores that
 * kept busy over the wall time between them. Processes born in between count from zero; those
 * ended in between count only if they were this process's children (their time is then added to
 * this process's children's time): the API writer.
 */
export function cpuSpent(before, after) {
  if (before === undefined || after === undefined) return undefined;
  const byOwner = new Map();
  const processCount = new Map();
  for (const p of after.processes.values()) {
    const start = before.processes.get(p.pid)?.ticks ?? 0;
    const seconds = (p.ticks - start) / TICKS_PER_SECOND;
    if (seconds <= 0) continue;
    const who = owner(p, after.processes);
    byOwner.set(who, (byOwner.get(who) ?? 0) + seconds);
    processCount.set(who, (processCount.get(who) ?? 0) + 1);
  }
  // This process's children that ended meanwhile: the API writer (capture-load), which is gone
  // by the second snapshot; the kernel adds its time to ours once it is waited for.
  const me = [before.processes.get(process.pid), after.processes.get(process.pid)];
  if (me[0] !== undefined && me[1] !== undefined && me[1].childTicks > me[0].childTicks) {
    const who = 'the API writer (capture-load)';
    byOwner.set(who, (byOwner.get(who) ?? 0) + (me[1].childTicks - me[0].childTicks) / TICKS_PER_SECOND);
  }
  const wallSeconds = (after.at - before.at) / 1000;
  const total = [...byOwner.values()].reduce((sum, s) => sum + s, 0);
  return {
    wallSeconds,
    cores: availableParallelism(),
    busyCores: wallSeconds > 0 ? total / wallSeconds : 0,
    // "x (2 processes)" where several processes of one owner and kind worked (the renderers of
    // two pages in one browser).
    byOwner: [...byOwner.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([who, seconds]) => [processCount.get(who) > 1 && who.startsWith('chromium') ? `${who} (${processCount.get(who)} processes)` : who, seconds]),
  };
}
