import { NULL_BYTES } from "./budget.js";
import type { ColumnDecoder, DecoderContext } from "./column-decoder.js";
import { arrayDecoder, mapDecoder, nullableDecoder, tupleDecoder } from "./composite-decoders.js";
import { NativeError } from "./errors.js";
import { lowCardinalityDecoder } from "./low-cardinality.js";
import {
  DATE_BYTES,
  DATE_TIME_BYTES,
  dateTime64Decoder,
  decimalDecoder,
  fixed,
  float,
  floatText,
  intDecoder,
  NUMBER_BYTES,
  stringDecoder,
  timeZone,
} from "./scalar-decoders.js";
import {
  formatDate,
  formatIPv4,
  formatIPv6,
  formatUuid,
  shortestFloat32,
  type TimeZoneFormatter,
} from "./text.js";
import type { TypeNode } from "./types.js";

// The decoder of a column type (makeDecoder), built from the decoders in scalar-decoders.ts,
// composite-decoders.ts and low-cardinality.ts.

export type { ColumnDecoder, DecoderContext, JsonValue } from "./column-decoder.js";
export { jsonTextDecoder } from "./scalar-decoders.js";

function unsupported(name: string): NativeError {
  return new NativeError("UNSUPPORTED_TYPE", `The native driver cannot decode type ${name}`);
}

/** Builds the decoder of one column type; throws UNSUPPORTED_TYPE for what it cannot decode. */
export function makeDecoder(
  type: TypeNode,
  context: DecoderContext,
  zones = new Map<string, TimeZoneFormatter>(),
): ColumnDecoder {
  const { limits } = context;
  const make = (inner: TypeNode) => makeDecoder(inner, context, zones);
  switch (type.kind) {
    case "int":
      return intDecoder(type.bytes, type.signed);
    case "float": {
      const convert = context.nonFiniteFloats === "text" ? floatText : float;
      return type.bytes === 4
        ? fixed(4, NUMBER_BYTES, (b, at) => convert(shortestFloat32(b.readFloatLE(at))))
        : fixed(8, NUMBER_BYTES, (b, at) => convert(b.readDoubleLE(at)));
    }
    case "bool":
      return fixed(1, 4, (b, at) => b[at] !== 0);
    case "decimal":
      return decimalDecoder(type.bytes, type.scale);
    case "string":
      return stringDecoder(limits);
    case "fixed-string": {
      const length = type.length;
      if (length > limits.maxStringBytes) throw unsupported(`FixedString(${length})`);
      return fixed(length, length + 2, (b, at) => b.toString("utf8", at, at + length));
    }
    case "date":
      return fixed(2, DATE_BYTES, (b, at) => formatDate(b.readUInt16LE(at)));
    case "date32":
      return fixed(4, DATE_BYTES, (b, at) => formatDate(b.readInt32LE(at)));
    case "datetime": {
      const zone = timeZone(type.timezone, context, zones);
      return fixed(4, DATE_TIME_BYTES, (b, at) => zone.format(b.readUInt32LE(at)));
    }
    case "datetime64":
      return dateTime64Decoder(type.precision, timeZone(type.timezone, context, zones));
    case "uuid":
      return fixed(16, 38, formatUuid);
    case "ipv4":
      return fixed(4, 9, (b, at) => formatIPv4(b.readUInt32LE(at)));
    case "ipv6":
      return fixed(16, 4, formatIPv6);
    case "enum": {
      const names = type.names;
      return type.bytes === 1
        ? fixed(1, 2, (b, at) => names.get(b.readInt8(at)) ?? String(b.readInt8(at)))
        : fixed(2, 2, (b, at) => names.get(b.readInt16LE(at)) ?? String(b.readInt16LE(at)));
    }
    case "nothing":
      return fixed(1, NULL_BYTES, () => null);
    case "nullable":
      return nullableDecoder(make(type.inner));
    case "array":
      return arrayDecoder(make(type.inner), limits);
    case "map":
      return mapDecoder(make(type.key), make(type.value), limits);
    case "tuple":
      return tupleDecoder(type.elements.map(make), type.names);
    case "low-cardinality": {
      const nullable = type.inner.kind === "nullable";
      const dictionary = type.inner.kind === "nullable" ? type.inner.inner : type.inner;
      return lowCardinalityDecoder(make(dictionary), nullable, limits);
    }
    case "unsupported":
      throw unsupported(type.name);
  }
}
