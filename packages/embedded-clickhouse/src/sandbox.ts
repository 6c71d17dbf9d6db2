// clickhouse-local (the engine in libchdb) ignores `user_files_path`: file(), ENGINE=File,
// file dictionaries and format schemas accept any path (it sets its user-files path to "" and
// skips ClickHouse's "inside user_files" check outside a server). No ClickHouse setting changes
// that, so the engine's process confines itself with Landlock (Linux >= 5.19, unprivileged)
// before it starts: it may only read and write its own directories and read a few system files,
// and it may execute nothing.

/** What the engine's process may reach once confined. Paths that do not exist are skipped. */
export interface SandboxPolicy {
  /** Read, write, create and delete anything beneath (never execute). */
  readWrite: string[];
  /** Read files and list directories beneath. */
  readOnly: string[];
}

/**
 * System files ClickHouse reads for itself (measured with strace on 26.7): its own /proc entry
 * (thread stack bounds, memory and thread statistics), system-wide counters, cgroup limits,
 * CPU topology, time zones, name resolution and CA certificates. None of them is secret; other
 * processes' /proc entries, /etc/passwd and the rest of /etc are not in the list. `/proc/self`
 * is resolved in the engine's process, so it is that process's own directory.
 */
export const SYSTEM_READ_ONLY: readonly string[] = [
  "/proc/self",
  "/proc/meminfo",
  "/proc/cpuinfo",
  "/proc/stat",
  "/proc/loadavg",
  "/proc/uptime",
  "/proc/pressure",
  "/proc/sys/vm/overcommit_memory",
  "/proc/sys/vm/max_map_count",
  "/proc/sys/fs/file-nr",
  "/sys/fs/cgroup",
  "/sys/devices/system/cpu",
  "/sys/kernel/mm/transparent_hugepage/enabled",
  "/usr/share/zoneinfo",
  "/etc/localtime",
  "/etc/hosts",
  "/etc/host.conf",
  "/etc/resolv.conf",
  "/etc/nsswitch.conf",
  "/etc/gai.conf",
  "/etc/ssl/certs",
  "/usr/share/ca-certificates",
  "/etc/pki/tls/certs",
  "/dev/urandom",
  "/dev/random",
];

/** Device files the engine writes to. */
export const SYSTEM_READ_WRITE: readonly string[] = ["/dev/null"];

/** Printed by the child (then exit code 78) when the kernel cannot confine it. */
export const SANDBOX_UNAVAILABLE_MARKER = "EMBEDDED_CLICKHOUSE_SANDBOX_UNAVAILABLE:";

/** Set to `off` to run the engine unconfined where Landlock is missing (see the README). */
export const SANDBOX_ENV = "EMBEDDED_CLICKHOUSE_SANDBOX";

/**
 * CommonJS run in the engine's child process before the engine starts (it defines
 * `applySandbox(ffi, policy)`). Landlock, through libc's `syscall` via ffi-rs:
 * landlock_create_ruleset (444) handling every filesystem right the kernel knows,
 * landlock_add_rule (445) per allowed path, PR_SET_NO_NEW_PRIVS, landlock_restrict_self (446).
 * Threads started later (all of ClickHouse's) inherit the restriction, and it cannot be lifted.
 * Rights (bits): 0 execute, 1 write file, 2 read file, 3 read dir, 4 remove dir, 5 remove file,
 * 6 make char, 7 make dir, 8 make reg, 9 make sock, 10 make fifo, 11 make block, 12 make sym,
 * 13 refer (ABI 2), 14 truncate (ABI 3), 15 ioctl dev (ABI 5).
 */
export const SANDBOX_PROGRAM = `
function applySandbox(ffi, policy) {
  const fs = require("fs");
  const unavailable = (why) => {
    process.stderr.write(${JSON.stringify(SANDBOX_UNAVAILABLE_MARKER)} + " " + why + "\\n");
    process.exit(78);
  };
  ffi.open({ library: "libc", path: "" });
  const syscall = (number, ...args) => {
    const paramsType = [ffi.DataType.I64];
    const paramsValue = [number];
    for (const arg of args) {
      paramsType.push(Buffer.isBuffer(arg) ? ffi.DataType.U8Array : ffi.DataType.I64);
      paramsValue.push(arg);
    }
    return ffi.load({ library: "libc", funcName: "syscall", retType: ffi.DataType.I64,
      paramsType, paramsValue, errno: true });
  };
  const version = syscall(444, 0, 0, 1);
  if (version.value < 0) unavailable("Landlock is not enabled in this kernel (" + version.errnoMessage + ")");
  const abi = version.value;
  if (abi < 2) unavailable("Landlock ABI " + abi + " is too old (Linux 5.19 or later is needed)");
  const handled = abi >= 5 ? 0xffff : abi >= 3 ? 0x7fff : 0x3fff;
  const FILE_RIGHTS = 0x1 | 0x2 | 0x4 | 0x4000 | 0x8000;
  const READ = 0x4 | 0x8;
  const READ_WRITE = handled & ~0x1 & ~0x40 & ~0x800;
  const attr = Buffer.alloc(8);
  attr.writeBigUInt64LE(BigInt(handled));
  const ruleset = syscall(444, attr, 8, 0);
  if (ruleset.value < 0) unavailable("landlock_create_ruleset: " + ruleset.errnoMessage);
  const O_PATH = 0o10000000, O_CLOEXEC = 0o2000000;
  const allow = (target, rights) => {
    let fd;
    try {
      fd = fs.openSync(target, O_PATH | O_CLOEXEC);
    } catch {
      return;
    }
    try {
      const isDirectory = fs.fstatSync(fd).isDirectory();
      const rule = Buffer.alloc(12);
      rule.writeBigUInt64LE(BigInt(rights & handled & (isDirectory ? 0xffff : FILE_RIGHTS)));
      rule.writeInt32LE(fd, 8);
      const added = syscall(445, ruleset.value, 1, rule, 0);
      if (added.value < 0) unavailable("landlock_add_rule " + target + ": " + added.errnoMessage);
    } finally {
      fs.closeSync(fd);
    }
  };
  for (const target of policy.readOnly) allow(target, READ);
  for (const target of policy.readWrite) allow(target, READ_WRITE);
  const noNewPrivs = ffi.load({ library: "libc", funcName: "prctl", retType: ffi.DataType.I32,
    paramsType: [ffi.DataType.I32, ffi.DataType.I64, ffi.DataType.I64, ffi.DataType.I64, ffi.DataType.I64],
    paramsValue: [38, 1, 0, 0, 0], errno: true });
  if (noNewPrivs.value !== 0) unavailable("prctl(PR_SET_NO_NEW_PRIVS): " + noNewPrivs.errnoMessage);
  const restricted = syscall(446, ruleset.value, 0);
  if (restricted.value !== 0) unavailable("landlock_restrict_self: " + restricted.errnoMessage);
  fs.closeSync(Number(ruleset.value));
}
`;
