export { ArgvError, type ArgvErrorCode } from "./argv-error.js";
export { FALSE_WORDS, parseBooleanWord, TRUE_WORDS } from "./boolean-words.js";
export {
  type ArgvFlag,
  type FlagKind,
  type ParseArgvOptions,
  type ParsedArgv,
  parseArgv,
} from "./parse-argv.js";
