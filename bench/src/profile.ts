import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { Table } from "./report.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** Where a script belongs: a package of the repo, an npm package, or Node itself. */
function owner(url: string): string {
  if (url === "") return "(native: GC, syscalls, …)";
  if (url.startsWith("node:")) return "node internals";
  const npm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (npm) return npm[1] as string;
  const repo = /\/(apps|packages|bench)\/([^/]+)\//.exec(url);
  if (repo) return `${repo[1]}/${repo[2]}`;
  return url;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url
    .replace(/^file:\/\//, "")
    .replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, "")
    .replace(/^.*?\/(apps|packages|bench)\//, "$1/");
  return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
}

const NOT_WORK = new Set(["(idle)", "(program)", "(root)"]);

interface Totals {
  busyMs: number;
  byOwner: Map<string, number>;
  /** Time with the function on the stack (each sample counted once per function). */
  inclusive: Map<string, number>;
}

function profileTotals(files: string[]): Totals {
  const totals: Totals = { busyMs: 0, byOwner: new Map(), inclusive: new Map() };
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    const samples = profile.samples?.length ?? 0;
    const interval = samples > 0 ? (profile.endTime - profile.startTime) / samples / 1000 : 0;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (hits === 0 || NOT_WORK.has(node.callFrame.functionName)) continue;
      const ms = hits * interval;
      totals.busyMs += ms;
      const who = owner(node.callFrame.url);
      totals.byOwner.set(who, (totals.byOwner.get(who) ?? 0) + ms);
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const frame = byId.get(id);
        if (!frame || NOT_WORK.has(frame.callFrame.functionName)) continue;
        const name = frameName(frame);
        if (seen.has(name)) continue;
        seen.add(name);
        totals.inclusive.set(name, (totals.inclusive.get(name) ?? 0) + ms);
      }
    }
  }
  return totals;
}

function topRows(
  map: Map<string, number>,
  total: number,
  top: number,
  keep: (name: string) => boolean = () => true,
) {
  return [...map.entries()]
    .filter(([name]) => keep(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => [name, ms.toFixed(0), `${((ms / total) * 100).toFixed(1)}%`]);
}

/**
 * One table per profiled process (a subdirectory of `dir`): busy time by owner. For processes
 * named in `detailFor`, also the functions of this repo and its dependencies with the most time on
 * the stack (inclusive), which is where a per-call cost shows.
 */
export function summarizeProfiles(dir: string, detailFor: readonly string[] = ["server"]): Table[] {
  const tables: Table[] = [];
  const processes = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  for (const entry of processes) {
    const files = readdirSync(path.join(dir, entry.name))
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => path.join(dir, entry.name, f));
    if (files.length === 0) continue;
    const totals = profileTotals(files);
    tables.push({
      title: `Profile of ${entry.name}: busy time by owner (self time; idle excluded)`,
      columns: ["Owner", "ms", "share"],
      rows: topRows(totals.byOwner, totals.busyMs, 10),
      notes: [`${totals.busyMs.toFixed(0)} ms busy in total; profiles in ${path.join(dir, entry.name)}.`],
    });
    if (detailFor.includes(entry.name)) {
      tables.push({
        title: `Profile of ${entry.name}: time on the stack (inclusive) by function, outside Node's own`,
        columns: ["Function", "ms", "share of busy"],
        rows: topRows(
          totals.inclusive,
          totals.busyMs,
          30,
          (name) => !/ node:/.test(name) && !/ :\d+$/.test(name),
        ),
      });
    }
  }
  return tables;
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface HeapGroups {
  total: number;
  groups: Map<string, { size: number; count: number }>;
}

/** Self size and count by constructor (objects, closures) or by kind (strings, code, arrays). */
function heapGroups(file: string): HeapGroups {
  const snapshot = JSON.parse(readFileSync(file, "utf8")) as HeapSnapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const groups = new Map<string, { size: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snapshot.nodes.length; i += stride) {
    const type = types[snapshot.nodes[i + typeAt] as number] ?? "?";
    const size = snapshot.nodes[i + sizeAt] as number;
    const name = snapshot.strings[snapshot.nodes[i + nameAt] as number] ?? "";
    const key = type === "object" || type === "closure" ? `${name} (${type})` : `(${type})`;
    const group = groups.get(key) ?? { size: 0, count: 0 };
    group.size += size;
    group.count += 1;
    groups.set(key, group);
    total += size;
  }
  return { total, groups };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** What fills the heap: self size and count by constructor. */
export function summarizeHeapSnapshot(file: string, title: string, top = 20): Table {
  const { total, groups } = heapGroups(file);
  return {
    title: `Heap snapshot (${title}): self size by constructor`,
    columns: ["Constructor / kind", "count", "self size", "share"],
    rows: [...groups.entries()]
      .sort((a, b) => b[1].size - a[1].size)
      .slice(0, top)
      .map(([name, g]) => [
        name,
        g.count.toLocaleString("en-US"),
        mb(g.size),
        `${((g.size / total) * 100).toFixed(1)}%`,
      ]),
    notes: [
      `${path.basename(file)}: ${mb(total)} of live heap in total (a snapshot collects garbage first).`,
    ],
  };
}

/** What grew between two snapshots of one process: a leak shows as counts growing with the calls. */
export function diffHeapSnapshots(beforeFile: string, afterFile: string, title: string, top = 15): Table {
  const before = heapGroups(beforeFile);
  const after = heapGroups(afterFile);
  const rows = [...after.groups.entries()]
    .map(([name, g]) => {
      const old = before.groups.get(name) ?? { size: 0, count: 0 };
      return { name, size: g.size - old.size, count: g.count - old.count };
    })
    .sort((a, b) => b.size - a.size)
    .slice(0, top)
    .map((d) => [d.name, d.count.toLocaleString("en-US"), mb(d.size)]);
  return {
    title: `Heap growth (${title}): by constructor`,
    columns: ["Constructor / kind", "count +", "self size +"],
    rows,
    notes: [`Live heap ${mb(before.total)} before, ${mb(after.total)} after.`],
  };
}

/** SIGUSR2 (with --heapsnapshot-signal) writes a snapshot into the process's working directory; waits until its file stops growing. */
export async function takeHeapSnapshot(pid: number, dir: string): Promise<string | undefined> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, "SIGUSR2");
  let last = -1;
  for (let i = 0; i < 240; i++) {
    await delay(250);
    const file = readdirSync(dir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
    if (!file) continue;
    const size = statSync(path.join(dir, file)).size;
    if (size > 0 && size === last) return path.join(dir, file);
    last = size;
  }
  return undefined;
}
