// Malformed input never throws out of the codec: it comes back as a typed
// CodecError, with the request ID when it can still be read.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { arbitraryMessage } from "./arbitrary.js";
import { CodecError, decodeClientFrame, decodeServerFrame, encodeClientFrame, encodeServerFrame, encodingOf, SUBPROTOCOLS } from "./codec.js";
import { ErrorCode } from "./gen/openroom/v1/errors_pb.js";
import { ClientFrameSchema, ServerFrameSchema } from "./gen/openroom/v1/frames_pb.js";

const login = create(ClientFrameSchema, {
  requestId: 7,
  request: { case: "login", value: { userId: "alice", userName: "Alice", token: "t" } },
});

function expectError(result: ReturnType<typeof decodeClientFrame>, code: ErrorCode, requestId?: number) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error).toBeInstanceOf(CodecError);
  expect(result.error.code).toBe(code);
  expect(result.error.requestId).toBe(requestId);
}

describe("subprotocols", () => {
  it("maps exactly the two OpenRoom names", () => {
    expect(encodingOf(SUBPROTOCOLS.binary)).toBe("binary");
    expect(encodingOf(SUBPROTOCOLS.json)).toBe("json");
    expect(encodingOf("openroom.v2")).toBeUndefined();
    expect(encodingOf("")).toBeUndefined();
  });
});

describe("binary decoding", () => {
  it("refuses bytes that are not protobuf, keeping a readable request ID", () => {
    const good = encodeClientFrame(login, "binary") as Uint8Array;
    // request_id (field 1) comes first; then a length prefix claiming more bytes than exist.
    const damaged = new Uint8Array([...good.subarray(0, 2), 0x52, 0x7f, 0x01]);
    expectError(decodeClientFrame(damaged, "binary"), ErrorCode.MALFORMED_FRAME, 7);
  });

  it("refuses garbage with no request ID", () => {
    expectError(decodeClientFrame(new Uint8Array([0xff, 0xff, 0xff]), "binary"), ErrorCode.MALFORMED_FRAME, undefined);
  });

  it("refuses a frame truncated inside a field", () => {
    const good = encodeClientFrame(login, "binary") as Uint8Array;
    expectError(decodeClientFrame(good.subarray(0, good.length - 1), "binary"), ErrorCode.MALFORMED_FRAME, 7);
  });

  it("never throws on any truncation or corruption of a valid frame", () => {
    fc.assert(
      fc.property(arbitraryMessage(ClientFrameSchema), fc.nat(), fc.nat(255), (frame, cut, byte) => {
        const bytes = encodeClientFrame(frame, "binary") as Uint8Array;
        const truncated = bytes.subarray(0, bytes.length === 0 ? 0 : cut % bytes.length);
        const corrupted = Uint8Array.from(bytes);
        if (corrupted.length > 0) corrupted[cut % corrupted.length] = byte;
        for (const data of [truncated, corrupted]) {
          const r = decodeClientFrame(data, "binary");
          if (!r.ok) expect(r.error.code).toBe(ErrorCode.MALFORMED_FRAME);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps an unknown request kind as a frame with no request case (UNSUPPORTED_REQUEST is the dispatcher's)", () => {
    // request_id = 3, then field 99 (unknown) as a length-delimited empty message.
    const r = decodeClientFrame(new Uint8Array([0x08, 0x03, 0x9a, 0x06, 0x00]), "binary");
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.frame.requestId).toBe(3);
      expect(r.frame.request.case).toBeUndefined();
    }
  });

  it("refuses a text frame on the binary subprotocol", () => {
    expectError(decodeClientFrame("{}", "binary"), ErrorCode.MALFORMED_FRAME);
  });

  it("refuses a frame over maxBytes with FRAME_TOO_LARGE", () => {
    const bytes = encodeClientFrame(login, "binary") as Uint8Array;
    expectError(decodeClientFrame(bytes, "binary", { maxBytes: bytes.length - 1 }), ErrorCode.FRAME_TOO_LARGE);
    expect(decodeClientFrame(bytes, "binary", { maxBytes: bytes.length }).ok).toBe(true);
  });
});

describe("JSON decoding", () => {
  it("accepts the canonical mapping and proto field names", () => {
    const r = decodeClientFrame('{"requestId":7,"login":{"userId":"alice","userName":"Alice","token":"t"}}', "json");
    expect(r.ok && r.frame.request.case === "login" && r.frame.request.value.userId).toBe("alice");
    const p = decodeClientFrame('{"request_id":7,"login":{"user_id":"alice"}}', "json");
    expect(p.ok && p.frame.requestId).toBe(7);
  });

  it.each([
    ["invalid JSON", "{not json", undefined],
    ["a JSON array", "[1,2]", undefined],
    ["a JSON string", '"hello"', undefined],
    ["null", "null", undefined],
    ["a wrong field type", '{"requestId":5,"login":{"userId":42}}', 5],
    ["a wrong request ID type", '{"requestId":"x","ping":{}}', undefined],
    ["a negative request ID", '{"requestId":-1,"ping":{}}', undefined],
    ["two request kinds", '{"requestId":4,"ping":{},"logout":{}}', 4],
  ])("refuses %s with MALFORMED_FRAME", (_what, text, requestId) => {
    expectError(decodeClientFrame(text, "json"), ErrorCode.MALFORMED_FRAME, requestId);
  });

  it("ignores unknown fields, leaving an unknown request kind with no request case", () => {
    const r = decodeClientFrame('{"requestId":3,"fooRoom":{"x":1}}', "json");
    expect(r.ok && r.frame.request.case).toBe(undefined);
    expect(r.ok && r.frame.requestId).toBe(3);
  });

  it("treats an unknown enum name like an unknown field: left unset, for validation to refuse", () => {
    const r = decodeClientFrame('{"requestId":9,"sendRoomMessage":{"kind":"NOPE"}}', "json");
    expect(r.ok && r.frame.request.case === "sendRoomMessage" && r.frame.request.value.kind).toBe(0);
  });

  it("refuses a binary frame on the JSON subprotocol", () => {
    expectError(decodeClientFrame(new Uint8Array([1]), "json"), ErrorCode.MALFORMED_FRAME);
  });

  it("counts UTF-8 bytes against maxBytes", () => {
    const text = JSON.stringify({ requestId: 1, login: { userName: "é".repeat(10) } });
    expectError(decodeClientFrame(text, "json", { maxBytes: text.length }), ErrorCode.FRAME_TOO_LARGE);
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const r = decodeClientFrame(text, "json");
        if (!r.ok) expect(r.error.code).toBe(ErrorCode.MALFORMED_FRAME);
      }),
      { numRuns: 500 },
    );
  });
});

describe("server frames", () => {
  it("decode with the same typed errors, never throwing on truncation", () => {
    expect(decodeServerFrame("[]", "json").ok).toBe(false);
    fc.assert(
      fc.property(arbitraryMessage(ServerFrameSchema), fc.nat(), (frame, cut) => {
        const bytes = encodeServerFrame(frame, "binary") as Uint8Array;
        const text = encodeServerFrame(frame, "json") as string;
        const b = decodeServerFrame(bytes.subarray(0, cut % (bytes.length + 1)), "binary");
        if (!b.ok) expect(b.error.code).toBe(ErrorCode.MALFORMED_FRAME);
        const j = decodeServerFrame(text.slice(0, cut % (text.length + 1)), "json");
        if (!j.ok) expect(j.error.code).toBe(ErrorCode.MALFORMED_FRAME);
      }),
      { numRuns: 200 },
    );
  });
});
