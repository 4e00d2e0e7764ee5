/**
 * Was a timed repetition disturbed? The machine is shared: another process taking a core makes
 * the 2-thread PyTorch peer collapse (10 steps in 1.3–5 s instead of 0.13 s) and slows our side
 * too, and a ratio of two disturbed figures is not a measurement. For every repetition this
 * records, from the kernel's own accounting:
 *
 * - `othersCores`: CPU time the whole machine spent busy (/proc/stat, all CPUs, user + nice +
 *   system + irq + softirq + steal) minus the CPU time of the bench's own processes (this Node
 *   process, `process.cpuUsage`, worker threads included; the PyTorch peer, from
 *   /proc/<pid>/stat — also while the other side runs, when its OpenMP threads may still spin),
 *   per second of wall time: how many cores other processes used meanwhile;
 * - `steal`: the share of CPU time the hypervisor gave to other guests;
 * - `cpuPerWall`: the measured side's own CPU time over its wall time (a side that waited for a
 *   CPU shows less than its thread count);
 *
 * and flags the repetition `disturbed` when others used more than a quarter of a core, steal
 * exceeded 2 %, or it took more than 1.5× the best repetition of its series (a collapse, whatever
 * its cause). A comparison is judged only on pairs whose two repetitions are both clean, and only
 * if at least two thirds of its pairs (and at least 3) are: otherwise the verdict is refused
 * (`refusal()`), never "met". Without /proc/stat (not Linux) only the collapse rule applies, and
 * the record says so.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** USER_HZ: the unit of /proc/stat (100 on every Linux architecture Node supports). */
const CLK_TCK = 100;
export const LIMITS = { othersCores: 0.25, steal: 0.02, collapse: 1.5, cleanShare: 2 / 3, minClean: 3 } as const;

interface ProcStat {
  busy: number;
  steal: number;
  total: number;
}

/** Child processes of the bench (the PyTorch peer) whose CPU time is ours, not "others'". */
export const ownPids = new Set<number>();

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat; 0 when unreadable. */
function pidCpuS(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  } catch {
    return 0;
  }
}
const childrenCpuS = (): number => [...ownPids].reduce((t, pid) => t + pidCpuS(pid), 0);

export function readProcStat(): ProcStat | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '));
    if (!line) return undefined;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
    return { busy, steal: steal ?? 0, total: busy + idle! + (iowait ?? 0) };
  } catch {
    return undefined;
  }
}

export interface Sample {
  ns: number;
  /** CPU time of the measured side, ns (undefined when the side does not report it). */
  cpuNs?: number;
  cpuPerWall?: number;
  othersCores?: number;
  steal?: number;
  disturbed: boolean;
  why: string[];
}

/** What a timed function returns: its wall time, and its own CPU time when it runs elsewhere (the peer). */
export type Timed = () => Promise<bigint | { ns: bigint; cpuNs?: number }>;

/** Runs `fn` once, with the machine's and this process's CPU accounting around it. */
export async function sample(fn: Timed): Promise<Sample> {
  const s0 = readProcStat();
  const k0 = childrenCpuS();
  const c0 = process.cpuUsage();
  const r = await fn();
  const c = process.cpuUsage(c0);
  const k1 = childrenCpuS();
  const s1 = readProcStat();
  const ns = Number(typeof r === 'bigint' ? r : r.ns);
  const peerCpuNs = typeof r === 'bigint' ? undefined : r.cpuNs;
  const nodeCpuNs = (c.user + c.system) * 1000;
  const out: Sample = { ns, disturbed: false, why: [] };
  // The side measured: the peer's own CPU if it reports it, else this process's.
  out.cpuNs = peerCpuNs ?? nodeCpuNs;
  out.cpuPerWall = out.cpuNs / ns;
  if (s0 && s1) {
    const wallS = ns / 1e9;
    const busyS = (s1.busy - s0.busy) / CLK_TCK;
    const ours = nodeCpuNs / 1e9 + (k1 - k0);
    // /proc/stat ticks are coarse (10 ms): windows shorter than ~0.2 s are judged over a floor.
    out.othersCores = Math.max(0, busyS - ours) / Math.max(wallS, 0.2);
    const total = s1.total - s0.total;
    out.steal = total > 0 ? (s1.steal - s0.steal) / total : 0;
    if (out.othersCores > LIMITS.othersCores) out.why.push(`other processes used ${out.othersCores.toFixed(2)} cores`);
    if (out.steal > LIMITS.steal) out.why.push(`steal ${(100 * out.steal).toFixed(1)} %`);
  }
  out.disturbed = out.why.length > 0;
  return out;
}

/** Marks repetitions that took more than LIMITS.collapse × the series' best as disturbed. */
export function markCollapses(series: Sample[]): void {
  const best = Math.min(...series.map((s) => s.ns));
  for (const s of series) {
    if (s.ns > LIMITS.collapse * best) {
      s.why.push(`${(s.ns / best).toFixed(1)}× its series' best`);
      s.disturbed = true;
    }
  }
}

export interface PairCheck {
  pairs: number;
  clean: number[];
  /** Mean cores other processes used, over all windows. */
  othersCores?: number;
  steal?: number;
  procStat: boolean;
  /** Why the verdict is refused, or undefined when there are enough clean pairs. */
  refused?: string;
}

/** Which pairs are clean, and whether there are enough of them for a verdict. */
export function checkPairs(a: Sample[], b: Sample[]): PairCheck {
  markCollapses(a);
  markCollapses(b);
  const n = Math.min(a.length, b.length);
  const clean: number[] = [];
  for (let i = 0; i < n; i++) if (!a[i]!.disturbed && !b[i]!.disturbed) clean.push(i);
  const all = [...a, ...b];
  const mean = (k: 'othersCores' | 'steal'): number | undefined => {
    const v = all.map((s) => s[k]).filter((x): x is number => x !== undefined);
    return v.length ? v.reduce((p, q) => p + q, 0) / v.length : undefined;
  };
  const check: PairCheck = { pairs: n, clean, othersCores: mean('othersCores'), steal: mean('steal'), procStat: readProcStat() !== undefined };
  if (clean.length < Math.max(LIMITS.minClean, Math.ceil(LIMITS.cleanShare * n))) {
    const load = check.othersCores !== undefined ? `other processes used ${check.othersCores.toFixed(1)} of ${cpus().length} cores on average` : 'no /proc/stat';
    check.refused = `disturbed: ${n - clean.length}/${n} pairs (${load}${check.steal ? `, steal ${(100 * check.steal).toFixed(1)} %` : ''})`;
  }
  return check;
}
