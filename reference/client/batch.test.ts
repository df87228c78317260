import { create, toJson } from "@bufbuild/protobuf";
import { describe, expect, it, vi } from "vitest";
import { BatchRoomAttributesRequestSchema, BatchRoomAttributesResponseSchema, type BatchRoomAttributesRequest } from "../../protocol/index.js";
import { RoomAttributesBatch } from "./batch.js";

describe("room attribute batch builder", () => {
  it("queues sets and deletes in order and sends them as one request on commit", async () => {
    const send = vi.fn(async () => create(BatchRoomAttributesResponseSchema, { roomId: "r" }));
    const batch = new RoomAttributesBatch("r", send);
    batch
      .setRoomAttributes({ attributes: { a: "1", b: "2" }, isForce: true })
      .deleteRoomAttributes({ keys: ["c"] })
      .setRoomAttributes({ attributes: { c: "3" }, isUpdateOwner: true, isDeleteAfterOwnerLeft: true });
    expect(batch.size).toBe(3);
    expect(send).not.toHaveBeenCalled();
    expect(toJson(BatchRoomAttributesRequestSchema, batch.toRequest())).toEqual({
      roomId: "r",
      operations: [
        { set: { attributes: { a: "1", b: "2" }, isForce: true } },
        { delete: { keys: ["c"] } },
        { set: { attributes: { c: "3" }, isUpdateOwner: true, isDeleteAfterOwnerLeft: true } },
      ],
    });
    const response = await batch.commit({ timeoutMs: 5 });
    expect(response.roomId).toBe("r");
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]).toEqual([batch.toRequest(), { timeoutMs: 5 }]);
  });

  it("is one-shot: after commit, queueing throws and a second commit rejects without sending", async () => {
    const send = vi.fn(async () => Promise.reject(new Error("refused")));
    const batch = new RoomAttributesBatch("r", send);
    batch.deleteRoomAttributes({ keys: ["k"] });
    await expect(batch.commit()).rejects.toThrow("refused");
    expect(batch.ended).toBe(true);
    expect(() => batch.setRoomAttributes({ attributes: { k: "v" } })).toThrow(/already ended/);
    await expect(batch.commit()).rejects.toThrow(/already ended/);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("sends an empty batch as it is (the server validates)", async () => {
    const send = vi.fn(async (_request: BatchRoomAttributesRequest) => create(BatchRoomAttributesResponseSchema, {}));
    await new RoomAttributesBatch("r", send).commit();
    expect(send.mock.calls[0]?.[0]).toMatchObject({ roomId: "r", operations: [] });
  });
});
