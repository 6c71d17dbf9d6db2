export { FLAG_KINDS, type FlagName, parseArgs, type ParsedArgs, UsageError } from "./args.js";
export { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCli } from "./run.js";
