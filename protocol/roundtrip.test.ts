// Every message of the contract survives binary and JSON unchanged, for
// generated instances covering every field kind, oneof case and enum value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { equals, fromBinary, fromJsonString, toBinary, toJsonString } from "@bufbuild/protobuf";
import { arbitraryMessage } from "./arbitrary.js";
import { allEnums, allMessages } from "./registry.js";
import { ClientFrameSchema, ServerFrameSchema } from "./gen/openroom/v1/frames_pb.js";
import { decodeClientFrame, decodeServerFrame, encodeClientFrame, encodeServerFrame, type Encoding } from "./codec.js";

const messages = allMessages();

describe("contract inventory", () => {
  it("has every message of the v1 files", () => {
    // Guards the reflection itself: a registry that found nothing would make
    // every property below vacuous.
    expect(messages.length).toBeGreaterThan(60);
    expect(messages.map((m) => m.typeName)).toContain("openroom.v1.ClientFrame");
    expect(allEnums().map((e) => e.typeName)).toContain("openroom.v1.ErrorCode");
  });

  it("has a response for every request kind, with mirrored field numbers", () => {
    const requests = ClientFrameSchema.oneofs.find((o) => o.name === "request")!.fields;
    const results = ServerFrameSchema.field.reply!.message!.oneofs.find((o) => o.name === "result")!.fields;
    for (const req of requests) {
      const res = results.find((r) => r.number === req.number);
      expect(res?.name, `response for ${req.name}`).toBe(req.name);
    }
    expect(results.filter((r) => r.name !== "error")).toHaveLength(requests.length);
  });
});

describe.each(messages.map((m) => [m.typeName, m] as const))("%s", (_name, schema) => {
  it("round-trips through binary", () => {
    fc.assert(
      fc.property(arbitraryMessage(schema), (msg) => {
        expect(equals(schema, fromBinary(schema, toBinary(schema, msg)), msg)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it("round-trips through JSON", () => {
    fc.assert(
      fc.property(arbitraryMessage(schema), (msg) => {
        expect(equals(schema, fromJsonString(schema, toJsonString(schema, msg)), msg)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe.each<Encoding>(["binary", "json"])("codec (%s)", (encoding) => {
  it("round-trips every ClientFrame", () => {
    fc.assert(
      fc.property(arbitraryMessage(ClientFrameSchema), (frame) => {
        const decoded = decodeClientFrame(encodeClientFrame(frame, encoding), encoding);
        expect(decoded.ok).toBe(true);
        if (decoded.ok) expect(equals(ClientFrameSchema, decoded.frame, frame)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("round-trips every ServerFrame", () => {
    fc.assert(
      fc.property(arbitraryMessage(ServerFrameSchema), (frame) => {
        const decoded = decodeServerFrame(encodeServerFrame(frame, encoding), encoding);
        expect(decoded.ok).toBe(true);
        if (decoded.ok) expect(equals(ServerFrameSchema, decoded.frame, frame)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
