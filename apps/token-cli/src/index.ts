export { FLAG_KINDS, type FlagName, type ParsedArgs, parseArgs, UsageError } from "./args.js";
export { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCli } from "./run.js";
