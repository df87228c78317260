// Who is to blame when a conformance check cannot go on. The runner exits 2
// for a HarnessError (the suite could not judge the target: no connection,
// refused handshake, failing token command, misconfigured secret) and 1 for a
// ServerFailure (the target answered wrongly, too late, or not at all).

/** The harness or its environment failed; the target's conformance is unknown. */
export class HarnessError extends Error {
  override name = "HarnessError";
}

/** The target misbehaved in a way the harness itself detected (not a model mismatch). */
export class ServerFailure extends Error {
  override name = "ServerFailure";
}

/**
 * Something awaited did not arrive in time. A server failure: a conformant
 * server answers every request and sends every event it owes. The message
 * names what was awaited, on which session, and ends with the last frames of
 * the wire log.
 */
export class HarnessTimeout extends ServerFailure {
  override name = "HarnessTimeout";
  constructor(
    readonly awaited: string,
    readonly session: string,
    readonly timeoutMs: number,
    readonly lastFrames: string,
  ) {
    super(
      `timed out after ${timeoutMs}ms on session "${session}" awaiting ${awaited}` +
        (lastFrames === "" ? "\n(no frames in the wire log)" : `\nlast frames of the wire log:\n${lastFrames}`),
    );
  }
}

/** The connection closed while a reply was still owed. */
export class SessionClosedError extends ServerFailure {
  override name = "SessionClosedError";
  constructor(
    readonly session: string,
    readonly awaited: string,
    readonly code: number,
    readonly reason: string,
  ) {
    super(`session "${session}" closed (code ${code}${reason === "" ? "" : ` "${reason}"`}) while awaiting ${awaited}`);
  }
}

/** A reply was an error (or the wrong kind) where the caller required success. */
export class UnexpectedReply extends ServerFailure {
  override name = "UnexpectedReply";
}

/** True for errors that mean "the suite could not run", not "the server is wrong". */
export function isHarnessError(e: unknown): e is HarnessError {
  return e instanceof HarnessError;
}
