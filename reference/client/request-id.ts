// Request IDs for one client. The protocol reserves 0 (the server uses it for
// frames whose ID it cannot read) and allows 1 to 2^32 − 1; a client should
// not reuse an ID while its request is outstanding.

/** The largest request ID the wire allows (uint32). */
export const MAX_REQUEST_ID = 0xffff_ffff;

/** The ID after `previous`: 1, 2, … MAX_REQUEST_ID, then 1 again (0 is never produced). */
export function nextRequestId(previous: number): number {
  return previous >= MAX_REQUEST_ID || previous < 1 ? 1 : previous + 1;
}

/**
 * Allocates request IDs in order, skipping any still awaiting a reply (which
 * can only happen after the counter wraps). IDs keep increasing across
 * reconnects, so a log line's ID names one request for the client's lifetime
 * (until the wrap).
 */
export class RequestIdAllocator {
  constructor(private last = 0) {}

  next(inUse: (id: number) => boolean): number {
    let id = nextRequestId(this.last);
    // Terminates while fewer than MAX_REQUEST_ID requests are outstanding.
    while (inUse(id)) id = nextRequestId(id);
    this.last = id;
    return id;
  }
}
