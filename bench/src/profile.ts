import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { Table } from "./report.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** Where a script belongs: a package of the repo, an npm package, or Node itself. */
function owner(url: string): string {
  if (url === "") return "(native / idle / GC)";
  if (url.startsWith("node:")) return "node internals";
  const npm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (npm) return npm[1] as string;
  const repo = /\/(apps|packages|bench)\/([^/]+)\//.exec(url);
  if (repo) return `${repo[1]}/${repo[2]}`;
  return url;
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, "").replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, "");
}

/** Self time by package and by function, over every .cpuprofile under `dir`. */
export function summarizeProfiles(dir: string, title: string, top = 15): Table[] {
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) =>
    f.endsWith(".cpuprofile"),
  );
  if (files.length === 0) return [];
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as CpuProfile;
    const samples = profile.samples?.length ?? 0;
    const interval = samples > 0 ? (profile.endTime - profile.startTime) / samples / 1000 : 0;
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (hits === 0) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === "(idle)" || functionName === "(program)") continue;
      const ms = hits * interval;
      total += ms;
      byOwner.set(owner(url), (byOwner.get(owner(url)) ?? 0) + ms);
      const key = `${functionName || "(anonymous)"} ${shortUrl(url)}:${lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    }
  }
  const rows = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => [name, ms.toFixed(0), `${((ms / total) * 100).toFixed(1)}%`]);
  return [
    {
      title: `Profile (${title}): busy self time by owner`,
      columns: ["Owner", "ms", "share of busy time"],
      rows: rows(byOwner),
      notes: [`${files.length} profile(s) in ${dir}; idle time excluded.`],
    },
    {
      title: `Profile (${title}): top functions by self time`,
      columns: ["Function", "ms", "share"],
      rows: rows(byFunction),
    },
  ];
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count by constructor (objects, closures) or by kind (strings, code, arrays): what fills the heap. */
export function summarizeHeapSnapshot(file: string, title: string, top = 20): Table {
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
  return {
    title: `Heap snapshot (${title}): self size by constructor`,
    columns: ["Constructor / kind", "count", "self size", "share"],
    rows: [...groups.entries()]
      .sort((a, b) => b[1].size - a[1].size)
      .slice(0, top)
      .map(([name, g]) => [
        name,
        g.count.toLocaleString("en-US"),
        `${(g.size / 1024 / 1024).toFixed(1)} MB`,
        `${((g.size / total) * 100).toFixed(1)}%`,
      ]),
    notes: [`${path.basename(file)}: ${(total / 1024 / 1024).toFixed(1)} MB of live heap in total.`],
  };
}
