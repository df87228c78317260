// The wire log: every frame both directions (and connection open/close), with
// a monotonic timestamp, the session's label and a readable rendering. It is
// the failure evidence (Autobahn-style), so rendering is lazy (paid only when
// a log is shown) and the log is a ring buffer: long property runs keep the
// last `capacity` entries and count the rest as dropped.
import { writeFile } from "node:fs/promises";
import { toJson } from "@bufbuild/protobuf";
import {
  ClientFrameSchema,
  ServerFrameSchema,
  type ClientFrame,
  type Encoding,
  type ServerFrame,
  type WireData,
} from "../../protocol/index.js";

/** `out`: client → server; `in`: server → client; `meta`: connection lifecycle, not a frame. */
export type Direction = "out" | "in" | "meta";

export interface WireLogEntry {
  /** Position since the log was created (dropped entries included). */
  seq: number;
  /** Milliseconds since the log's origin, monotonic. */
  t: number;
  session: string;
  direction: Direction;
  encoding: Encoding | undefined;
  /** WebSocket frame type; undefined for meta entries. */
  frameType: "binary" | "text" | undefined;
  /** Payload size in bytes (UTF-8 bytes for text). */
  bytes: number;
  /** The frame's protobuf JSON mapping, the raw text of an undecodable text frame, or the meta note. */
  text: string;
  /** Hex of a binary frame that did not decode (truncated). */
  hex?: string;
}

export interface WireLogOptions {
  /** Entries kept (the newest). Default 10,000. */
  capacity?: number;
  /** Longest rendering kept per entry, in characters. Default 2,000. */
  maxTextChars?: number;
  /** Most bytes rendered as hex per undecodable binary frame. Default 256. */
  maxHexBytes?: number;
}

interface Stored {
  seq: number;
  t: number;
  session: string;
  direction: Direction;
  encoding: Encoding | undefined;
  frameType: "binary" | "text" | undefined;
  bytes: number;
  render: () => string;
  text?: string;
  hex?: string;
}

const ARROWS: Record<Direction, string> = { out: "→", in: "←", meta: "·" };

export class WireLog {
  readonly capacity: number;
  private readonly maxTextChars: number;
  private readonly maxHexBytes: number;
  private readonly origin = performance.now();
  private readonly ring: Stored[] = [];
  private start = 0;
  private nextSeq = 0;

  constructor(options: WireLogOptions = {}) {
    this.capacity = Math.max(1, options.capacity ?? 10_000);
    this.maxTextChars = options.maxTextChars ?? 2_000;
    this.maxHexBytes = options.maxHexBytes ?? 256;
  }

  /** Milliseconds since this log's origin; the clock of every harness timestamp. */
  now(): number {
    return performance.now() - this.origin;
  }

  /** Entries no longer kept because the ring is full. */
  get dropped(): number {
    return this.nextSeq - this.ring.length;
  }

  /** Entries ever recorded. */
  get total(): number {
    return this.nextSeq;
  }

  /** A frame as sent or received. `decoded` is undefined when it did not decode. */
  frame(
    session: string,
    direction: "out" | "in",
    encoding: Encoding,
    data: WireData,
    decoded: ClientFrame | ServerFrame | undefined,
  ): void {
    const frameType = typeof data === "string" ? "text" : "binary";
    // The size without encoding a copy of every text frame.
    const bytes = typeof data === "string" ? Buffer.byteLength(data, "utf8") : data.byteLength;
    let render: () => string;
    let hex: string | undefined;
    if (decoded !== undefined) {
      const schema = direction === "out" ? ClientFrameSchema : ServerFrameSchema;
      render = () => JSON.stringify(toJson(schema, decoded as never));
    } else if (typeof data === "string") {
      // Keep only what will be shown, not a possibly huge frame.
      const raw = truncate(data, this.maxTextChars);
      render = () => `undecodable text frame: ${raw}`;
    } else {
      hex = hexOf(data, this.maxHexBytes);
      render = () => `undecodable binary frame (${bytes} bytes)`;
    }
    this.push({ session, direction, encoding, frameType, bytes, render, ...(hex === undefined ? {} : { hex }) });
  }

  /** A lifecycle note (opened, closed with code …) for a session. */
  note(session: string, text: string, encoding?: Encoding): void {
    this.push({ session, direction: "meta", encoding, frameType: undefined, bytes: 0, render: () => text });
  }

  /** The kept entries, oldest first (optionally only the last `last`, or one session's). */
  entries(filter: { last?: number; session?: string } = {}): WireLogEntry[] {
    let stored = [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
    if (filter.session !== undefined) stored = stored.filter((e) => e.session === filter.session);
    if (filter.last !== undefined) stored = filter.last <= 0 ? [] : stored.slice(-filter.last);
    return stored.map((e) => this.materialize(e));
  }

  /** One line per entry: `+12.345ms alice → {json}`. */
  render(filter: { last?: number; session?: string } = {}): string {
    const lines = this.entries(filter).map(renderLine);
    if (this.dropped > 0 && filter.last === undefined) {
      lines.unshift(`… ${this.dropped} earlier entries dropped (wire log capacity ${this.capacity})`);
    }
    return lines.join("\n");
  }

  toJSON(): { capacity: number; total: number; dropped: number; entries: WireLogEntry[] } {
    return { capacity: this.capacity, total: this.total, dropped: this.dropped, entries: this.entries() };
  }

  /** Writes the log to `path`: rendered text, or JSON when `format` is "json". */
  async writeFile(path: string, format: "text" | "json" = "text"): Promise<void> {
    const body = format === "json" ? JSON.stringify(this.toJSON(), null, 2) : this.render();
    await writeFile(path, `${body}\n`, "utf8");
  }

  private push(entry: Omit<Stored, "seq" | "t">): void {
    // The entry object is reused as the stored record: no copy per frame.
    const stored = entry as Stored;
    stored.seq = this.nextSeq++;
    stored.t = this.now();
    if (this.ring.length < this.capacity) {
      this.ring.push(stored);
    } else {
      this.ring[this.start] = stored;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  private materialize(e: Stored): WireLogEntry {
    e.text ??= truncate(e.render(), this.maxTextChars);
    const out: WireLogEntry = {
      seq: e.seq,
      t: Math.round(e.t * 1000) / 1000,
      session: e.session,
      direction: e.direction,
      encoding: e.encoding,
      frameType: e.frameType,
      bytes: e.bytes,
      text: e.text,
    };
    if (e.hex !== undefined) out.hex = e.hex;
    return out;
  }
}

export function renderLine(e: WireLogEntry): string {
  const hex = e.hex === undefined ? "" : ` hex ${e.hex}`;
  return `+${e.t.toFixed(3)}ms ${e.session} ${ARROWS[e.direction]} ${e.text}${hex}`;
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…(+${s.length - max} chars)` : s;
}

function hexOf(data: Uint8Array, max: number): string {
  const shown = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, max)).toString("hex");
  return data.byteLength > max ? `${shown}…(+${data.byteLength - max} bytes)` : shown;
}
