// Text forms of values, matching what ClickHouse's JSON output formats print.

const SECONDS_PER_DAY = 86_400;

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/** `YYYY-MM-DD` for a day number counted from 1970-01-01 (proleptic Gregorian, any sign). */
export function formatDate(days: number): string {
  // Howard Hinnant's civil_from_days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

function formatUtc(seconds: number): string {
  const days = Math.floor(seconds / SECONDS_PER_DAY);
  const rest = seconds - days * SECONDS_PER_DAY;
  const hours = Math.floor(rest / 3600);
  const minutes = Math.floor((rest % 3600) / 60);
  return `${formatDate(days)} ${pad(hours, 2)}:${pad(minutes, 2)}:${pad(rest % 60, 2)}`;
}

/**
 * Converts instants to wall-clock text in one IANA time zone. Offsets come from the runtime's
 * time zone data (Intl), cached per UTC day when the offset is the same at both ends of the day.
 */
export class TimeZoneFormatter {
  private readonly intl: Intl.DateTimeFormat | undefined;
  private readonly dayOffsets = new Map<number, number | null>();

  constructor(readonly timeZone: string) {
    if (timeZone === "UTC" || timeZone === "Etc/UTC" || timeZone === "GMT" || timeZone === "") return;
    this.intl = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  }

  /** Seconds to add to a UTC instant to get local wall-clock time. */
  private offsetAt(seconds: number): number {
    const parts: Record<string, string> = {};
    for (const part of this.intl!.formatToParts(new Date(seconds * 1000))) parts[part.type] = part.value;
    // ClickHouse's date types span 1900-2299, so the year is always positive and four digits.
    const local = Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    );
    return local / 1000 - seconds;
  }

  /** `YYYY-MM-DD hh:mm:ss` of a Unix time (whole seconds) in this time zone. */
  format(seconds: number): string {
    if (!this.intl) return formatUtc(seconds);
    const day = Math.floor(seconds / SECONDS_PER_DAY);
    let offset = this.dayOffsets.get(day);
    if (offset === undefined) {
      const start = this.offsetAt(day * SECONDS_PER_DAY);
      const end = this.offsetAt(day * SECONDS_PER_DAY + SECONDS_PER_DAY - 1);
      offset = start === end ? start : null;
      if (this.dayOffsets.size > 10_000) this.dayOffsets.clear();
      this.dayOffsets.set(day, offset);
    }
    return formatUtc(seconds + (offset ?? this.offsetAt(seconds)));
  }
}

/** The decimal text of `value / 10^scale`, without trailing zeros (as ClickHouse prints Decimals). */
export function formatDecimal(value: bigint, scale: number): string {
  const negative = value < 0n;
  let digits = (negative ? -value : value).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    const integer = digits.slice(0, digits.length - scale);
    const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
    digits = fraction.length > 0 ? `${integer}.${fraction}` : integer;
  }
  return negative ? `-${digits}` : digits;
}

/** The double with the shortest decimal form that still reads back as this Float32 value. */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  for (let precision = 1; precision < 9; precision++) {
    const candidate = Number(value.toPrecision(precision));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9));
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A UUID is stored as two little-endian 64-bit halves, high half first. */
export function formatUuid(buf: Buffer, at: number): string {
  let hex = "";
  for (let i = 7; i >= 0; i--) hex += HEX[buf[at + i]!];
  for (let i = 15; i >= 8; i--) hex += HEX[buf[at + i]!];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** RFC 5952 text, with IPv4-mapped and IPv4-compatible addresses in dotted form (as inet_ntop does). */
export function formatIPv6(buf: Buffer, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(buf.readUInt16BE(at + i * 2));
  // Longest run of zero words, at least two long.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestStart >= 0 && i >= bestStart && i < bestStart + bestLength) {
      if (i === bestStart) out += ":";
      continue;
    }
    if (i > 0) out += ":";
    if (i === 6 && bestStart === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      out += `${buf[at + 12]}.${buf[at + 13]}.${buf[at + 14]}.${buf[at + 15]}`;
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestStart >= 0 && bestStart + bestLength === 8) out += ":";
  return out;
}
