export const SCENARIOS = ["token", "query", "tenants", "sessions", "big"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchArgs {
  quick: boolean;
  only: ReadonlySet<ScenarioName>;
  /** Where the JSON result goes. */
  outDir?: string;
  /** Run the server processes under `node --cpu-prof` and summarise the profiles. */
  profile: boolean;
  help: boolean;
}

export const USAGE = `Usage: pnpm bench [-- options]

  --quick              every scenario, briefly (under a minute; used in CI)
  --only=LIST          comma-separated scenarios: ${SCENARIOS.join(", ")}
  --out=DIR            directory for the JSON result (default: bench/results)
  --profile            run the servers under node --cpu-prof and print where their time goes
  --help               this text
`;

export class UsageError extends Error {
  override name = "UsageError";
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: { quick: boolean; only: Set<ScenarioName>; outDir?: string; profile: boolean; help: boolean } =
    {
      quick: false,
      only: new Set(SCENARIOS),
      profile: false,
      help: false,
    };
  for (const arg of argv) {
    // `pnpm bench -- --quick` passes the separator through; it means nothing here.
    if (arg === "--") continue;
    if (arg === "--quick") args.quick = true;
    else if (arg === "--profile") args.profile = true;
    else if (arg === "--help" || arg === "-h") args.help = true;
    else if (arg.startsWith("--only=")) {
      const names = arg.slice("--only=".length).split(",").filter(Boolean);
      const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
      if (unknown.length > 0 || names.length === 0) {
        throw new UsageError(
          `--only: unknown scenario ${unknown.join(", ") || "(none given)"}; one of ${SCENARIOS.join(", ")}`,
        );
      }
      args.only = new Set(names as ScenarioName[]);
    } else if (arg.startsWith("--out=")) args.outDir = arg.slice("--out=".length);
    else throw new UsageError(`unknown argument ${arg}`);
  }
  return args;
}
