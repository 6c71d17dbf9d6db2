import { parseBooleanWord } from "@mcp/argv";
import { ConfigError } from "./config-error.js";
import type { OptionSpec, OptionValue } from "./flags.js";

/** Converts a raw value from any source to the spec's type; `where` names the source in errors. */
export function coerce(spec: OptionSpec, raw: unknown, where: string): OptionValue {
  const shown = spec.secret ? "" : ` (got ${JSON.stringify(raw)})`;
  const fail = (what: string): never => {
    throw new ConfigError("CONFIG_INVALID_VALUE", `${where}: ${what}${shown}`, { setting: spec.flag });
  };

  switch (spec.type) {
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      const word = typeof raw === "string" ? parseBooleanWord(raw) : undefined;
      if (word !== undefined) return word;
      return fail("must be true or false");
    }
    case "integer": {
      let n: number | undefined;
      if (typeof raw === "number") n = raw;
      else if (typeof raw === "string" && /^\s*-?\d+\s*$/.test(raw)) n = Number(raw);
      if (n === undefined || !Number.isSafeInteger(n)) return fail("must be a whole number");
      const { min, max } = spec;
      if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
        const range =
          min !== undefined && max !== undefined
            ? `from ${min} to ${max}`
            : min !== undefined
              ? `at least ${min}`
              : `at most ${max}`;
        return fail(`must be ${range}`);
      }
      return n;
    }
    case "string": {
      if (typeof raw === "number" && !spec.choices) return String(raw);
      if (typeof raw !== "string") return fail("must be a string");
      if (spec.choices) {
        const word = raw.trim().toLowerCase();
        if (!spec.choices.includes(word)) return fail(`must be one of ${spec.choices.join(", ")}`);
        return word;
      }
      return raw;
    }
    case "list": {
      let items: string[];
      if (typeof raw === "string") items = raw.split(",");
      else if (
        Array.isArray(raw) &&
        raw.every((item) => typeof item === "string" || typeof item === "number")
      ) {
        items = raw.map(String);
      } else return fail("must be a comma-separated string or a list of strings");
      items = items.map((item) => item.trim()).filter((item) => item !== "");
      if (spec.choices) {
        items = items.map((item) => item.toLowerCase());
        const bad = items.find((item) => !spec.choices!.includes(item));
        if (bad !== undefined) {
          throw new ConfigError(
            "CONFIG_INVALID_VALUE",
            `${where}: unknown value "${bad}", must be one of ${spec.choices.join(", ")}`,
            { setting: spec.flag },
          );
        }
        items = [...new Set(items)];
      }
      return items;
    }
  }
}
