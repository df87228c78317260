// Opaque page tokens for the member list and the member-attribute list.
// A token holds the list kind, the room ID and the join index of the last
// member returned, signed with a per-server key, so the server can tell a
// token it issued for this room and list from anything else without looking
// at state (brief §5: token validation is argument validation).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export type PageKind = "members" | "member-attributes";

const KIND_TAG: Record<PageKind, string> = { members: "m", "member-attributes": "a" };
const MAC_BYTES = 12;

export class PageTokens {
  constructor(private readonly key: Uint8Array = randomBytes(32)) {}

  issue(kind: PageKind, roomId: string, afterJoinIndex: number): string {
    const payload = `${KIND_TAG[kind]}:${afterJoinIndex}:${roomId}`;
    return `${Buffer.from(payload).toString("base64url")}.${this.mac(payload).toString("base64url")}`;
  }

  /** The join index a token continues after, or undefined if this server did not issue it for this room and kind. */
  read(kind: PageKind, roomId: string, token: string): number | undefined {
    const dot = token.indexOf(".");
    if (dot < 0) return undefined;
    const payload = Buffer.from(token.slice(0, dot), "base64url").toString();
    // Base64 decoding is lenient (stray characters are dropped), so compare
    // the whole token with the one this payload would have been issued as.
    const canonical = Buffer.from(`${Buffer.from(payload).toString("base64url")}.${this.mac(payload).toString("base64url")}`);
    const given = Buffer.from(token);
    if (given.length !== canonical.length || !timingSafeEqual(given, canonical)) return undefined;
    const [tag, index, ...rest] = payload.split(":");
    if (tag !== KIND_TAG[kind] || rest.join(":") !== roomId || index === undefined || !/^\d+$/.test(index)) return undefined;
    return Number(index);
  }

  private mac(payload: string): Buffer {
    return createHmac("sha256", this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
