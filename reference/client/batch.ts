// The begin/end batch helper: queue room attribute sets and deletes locally,
// then send them as one BatchRoomAttributesRequest, which the server applies
// all-or-nothing with one RoomAttributesBatchUpdated event.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  BatchRoomAttributesRequestSchema,
  DeleteRoomAttributesOperationSchema,
  RoomAttributesOperationSchema,
  SetRoomAttributesOperationSchema,
  type BatchRoomAttributesRequest,
  type BatchRoomAttributesResponse,
  type RoomAttributesOperation,
} from "../../protocol/index.js";
import type { RequestOptions } from "./requests.js";

/** A set inside a batch: `{ attributes, isForce?, isUpdateOwner?, isDeleteAfterOwnerLeft? }`. */
export type SetRoomAttributesOperationInit = MessageInitShape<typeof SetRoomAttributesOperationSchema>;
/** A delete inside a batch: `{ keys, isForce? }`. */
export type DeleteRoomAttributesOperationInit = MessageInitShape<typeof DeleteRoomAttributesOperationSchema>;

/**
 * Operations queued for one room, sent once by `commit()` (or
 * `client.endRoomAttributesBatchOperation(batch)`). A batch is one-shot: after
 * it is ended, queueing or committing again throws, whether or not the server
 * accepted it. Nothing is sent before the commit; the server validates.
 */
export class RoomAttributesBatch {
  private readonly operations: RoomAttributesOperation[] = [];
  private isEnded = false;

  constructor(
    /** The room the batch changes. */
    readonly roomId: string,
    private readonly send: (request: BatchRoomAttributesRequest, options?: RequestOptions) => Promise<BatchRoomAttributesResponse>,
  ) {}

  /** Queues a set of keys; returns the batch for chaining. */
  setRoomAttributes(operation: SetRoomAttributesOperationInit): this {
    return this.push(create(RoomAttributesOperationSchema, { operation: { case: "set", value: operation } }));
  }

  /** Queues a delete of keys; returns the batch for chaining. */
  deleteRoomAttributes(operation: DeleteRoomAttributesOperationInit): this {
    return this.push(create(RoomAttributesOperationSchema, { operation: { case: "delete", value: operation } }));
  }

  /** How many operations are queued. */
  get size(): number {
    return this.operations.length;
  }

  /** True once the batch was committed (or the commit was attempted). */
  get ended(): boolean {
    return this.isEnded;
  }

  /** The request the commit sends, operations in the order queued. */
  toRequest(): BatchRoomAttributesRequest {
    return create(BatchRoomAttributesRequestSchema, { roomId: this.roomId, operations: [...this.operations] });
  }

  /** Ends the batch and sends it; resolves with the reply, rejects with the server's error (nothing applied). */
  commit(options?: RequestOptions): Promise<BatchRoomAttributesResponse> {
    if (this.isEnded) return Promise.reject(new Error(`the attribute batch for room ${this.roomId} has already ended`));
    this.isEnded = true;
    return this.send(this.toRequest(), options);
  }

  private push(operation: RoomAttributesOperation): this {
    if (this.isEnded) throw new Error(`the attribute batch for room ${this.roomId} has already ended`);
    this.operations.push(operation);
    return this;
  }
}
