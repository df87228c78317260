// fast-check arbitraries derived from protobuf-es reflection: any message of
// the contract, without hand-written generators. New fields and messages are
// covered automatically; fuzzers and round-trip properties share this.
import fc from "fast-check";
import { ScalarType, create, type DescEnum, type DescField, type DescMessage, type MessageShape } from "@bufbuild/protobuf";

export interface ArbitraryOptions {
  /** How deep nested messages go before message fields are left unset. */
  maxDepth?: number;
  /** Longest generated list, map and string. */
  maxLength?: number;
}

/** Any instance of `schema`, with every field kind, oneof case and enum value reachable. */
export function arbitraryMessage<Desc extends DescMessage>(
  schema: Desc,
  options: ArbitraryOptions = {},
): fc.Arbitrary<MessageShape<Desc>> {
  const maxDepth = options.maxDepth ?? 3;
  const maxLength = options.maxLength ?? 4;
  return messageArb(schema, maxDepth, maxLength) as fc.Arbitrary<MessageShape<Desc>>;
}

function messageArb(desc: DescMessage, depth: number, maxLength: number): fc.Arbitrary<unknown> {
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of desc.fields) {
    if (field.oneof !== undefined) continue;
    if (field.fieldKind === "message" && depth <= 0) continue;
    const arb = fieldArb(field, depth, maxLength);
    // Explicit-presence fields (proto3 `optional`, messages) may be unset.
    record[field.localName] = field.presence === 1 || field.fieldKind === "message" ? fc.option(arb, { nil: undefined }) : arb;
  }
  for (const oneof of desc.oneofs) {
    const cases = oneof.fields
      .filter((f) => !(f.fieldKind === "message" && depth <= 0))
      .map((f) => fieldArb(f, depth, maxLength).map((value) => ({ case: f.localName, value })));
    record[oneof.localName] = fc.oneof(fc.constant({ case: undefined }), ...cases);
  }
  return fc.record(record).map((init) => {
    const defined = Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined));
    return create(desc, defined as never);
  });
}

function fieldArb(field: DescField, depth: number, maxLength: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case "scalar":
      return scalarArb(field.scalar, maxLength);
    case "enum":
      return enumArb(field.enum);
    case "message":
      return messageArb(field.message, depth - 1, maxLength);
    case "list":
      switch (field.listKind) {
        case "scalar":
          return fc.array(scalarArb(field.scalar, maxLength), { maxLength });
        case "enum":
          return fc.array(enumArb(field.enum), { maxLength });
        case "message":
          return depth <= 0 ? fc.constant([]) : fc.array(messageArb(field.message, depth - 1, maxLength), { maxLength });
      }
      break;
    case "map": {
      const key = scalarArb(field.mapKey, maxLength).map(String);
      let value: fc.Arbitrary<unknown>;
      switch (field.mapKind) {
        case "scalar":
          value = scalarArb(field.scalar, maxLength);
          break;
        case "enum":
          value = enumArb(field.enum);
          break;
        case "message":
          if (depth <= 0) return fc.constant({});
          value = messageArb(field.message, depth - 1, maxLength);
          break;
      }
      return fc.dictionary(key, value, { maxKeys: maxLength, noNullPrototype: true });
    }
  }
}

function enumArb(desc: DescEnum): fc.Arbitrary<number> {
  return fc.constantFrom(...desc.values.map((v) => v.number));
}

function scalarArb(type: ScalarType, maxLength: number): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      // Whole code points only: a lone surrogate has no UTF-8 encoding.
      return fc.string({ unit: "binary", maxLength });
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: maxLength * 4 });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.integer();
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.integer({ min: 0, max: 0xffffffff });
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case ScalarType.DOUBLE:
      return fc.double({ noNaN: true });
    case ScalarType.FLOAT:
      return fc.float({ noNaN: true });
  }
}
