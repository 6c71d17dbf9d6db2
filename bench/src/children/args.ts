/** `--name=value` pairs of a child's command line. */
export function childArgs(argv: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([^=]+)=(.*)$/s.exec(arg);
    if (match) args.set(match[1] as string, match[2] as string);
  }
  return args;
}

export function required(args: Map<string, string>, name: string): string {
  const value = args.get(name);
  if (value === undefined) throw new TypeError(`missing --${name}`);
  return value;
}
