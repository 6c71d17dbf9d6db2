import type { ListItemOf, OptionName, OptionNameOfType, OptionValue, OptionValueOf } from "./flags.js";

/** Where a setting's value came from. */
export type Origin = "flag" | "env" | "file" | "default";

export interface Resolved {
  value: OptionValue | undefined;
  origin: Origin;
}

/** Typed read access to every option once flags, environment, file and defaults are merged. */
export class ResolvedOptions {
  constructor(private readonly resolved: ReadonlyMap<OptionName, Resolved>) {}

  /**
   * The option's value, typed by its row of the table (flags.ts): coerce() has checked every
   * value against that row, and an option with a default always has a value.
   */
  get<N extends OptionName>(name: N): OptionValueOf<N> {
    return this.resolved.get(name)?.value as OptionValueOf<N>;
  }

  /** A string option, an empty string read as unset. */
  text<N extends OptionNameOfType<"string">>(name: N): NonNullable<OptionValueOf<N>> | undefined {
    const value = this.get(name);
    return value === "" ? undefined : (value ?? undefined);
  }

  /** A list option as a fresh array, an empty list read as unset. */
  list<N extends OptionNameOfType<"list">>(name: N): ListItemOf<N>[] | undefined {
    const value = this.get(name) as readonly ListItemOf<N>[] | undefined;
    return value !== undefined && value.length > 0 ? [...value] : undefined;
  }

  /** Given by no source: the value is the table's default. */
  isDefault(name: OptionName): boolean {
    return this.resolved.get(name)?.origin === "default";
  }

  origins(): Map<OptionName, Origin> {
    return new Map([...this.resolved].map(([name, { origin }]) => [name, origin]));
  }
}
