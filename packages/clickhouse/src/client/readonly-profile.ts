import { DatabaseError } from "../errors/database-error.js";

/** The `readonly` level of a user's own profile: 0 (none), 1 (no settings at all) or 2 (all but `readonly`). */
export type ProfileReadonly = 0 | 1 | 2;

/**
 * True for ClickHouse's refusal to change a setting because of the user's profile (code 164,
 * READONLY, "Cannot modify '…' setting in readonly mode"): the sign that the profile is readonly.
 */
export function isSettingRefusedByProfile(error: unknown): boolean {
  return (
    error instanceof DatabaseError &&
    error.clickhouseCode === 164 &&
    /Cannot modify '[^']+' setting in readonly mode/.test(error.message)
  );
}

/**
 * What one client has learnt about its user's profile: unknown until the first refusal of a
 * setting, then probed once (`SELECT getSetting('readonly')`) and remembered for the client's
 * lifetime. Concurrent refusals share one probe; a failed probe is not remembered, so the next
 * refusal asks again.
 */
export class ReadonlyProfile {
  private known: ProfileReadonly | undefined;
  private probing: Promise<ProfileReadonly | undefined> | undefined;

  /** @param probe reads the level (undefined when it cannot be read); it must send no settings. */
  constructor(private readonly probe: () => Promise<ProfileReadonly | undefined>) {}

  /** The level learnt so far; 0 (send everything) until a refusal has taught otherwise. */
  get level(): ProfileReadonly {
    return this.known ?? 0;
  }

  learn(): Promise<ProfileReadonly | undefined> {
    if (this.known !== undefined) return Promise.resolve(this.known);
    this.probing ??= this.probe().then((level) => {
      if (level !== undefined) this.known = level;
      this.probing = undefined;
      return level;
    });
    return this.probing;
  }
}

/** The probe's answer: the value of getSetting('readonly') as a level. */
export function toProfileReadonly(value: unknown): ProfileReadonly {
  const level = Number(value);
  return level === 1 || level === 2 ? level : 0;
}
