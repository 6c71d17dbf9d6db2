/** A JSON object (not null, not an array): what a config file's sections and a request body must be. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
