/** Words a boolean setting accepts, whatever its source (flag, environment, config file). */
export const TRUE_WORDS: readonly string[] = Object.freeze(["true", "1", "yes", "on"]);
export const FALSE_WORDS: readonly string[] = Object.freeze(["false", "0", "no", "off"]);

/** `true` / `false` for a boolean word (case and surrounding spaces ignored), `undefined` otherwise. */
export function parseBooleanWord(word: string): boolean | undefined {
  const normalized = word.trim().toLowerCase();
  if (TRUE_WORDS.includes(normalized)) return true;
  if (FALSE_WORDS.includes(normalized)) return false;
  return undefined;
}
