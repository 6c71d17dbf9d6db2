import { execFileSync } from "node:child_process";
import * as os from "node:os";

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
  platform: string;
  kernel: string;
  node: string;
  clickhouse: string;
  gitCommit?: string;
  gitDirty?: boolean;
  loadAverageAtStart: number[];
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

export function machineInfo(clickhouseVersion: string): MachineInfo {
  const commit = git(["rev-parse", "HEAD"]);
  const status = git(["status", "--porcelain"]);
  return {
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
    clickhouse: clickhouseVersion,
    ...(commit && { gitCommit: commit }),
    ...(status !== undefined && { gitDirty: status.length > 0 }),
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
