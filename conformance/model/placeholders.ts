// Values the server chooses and the model cannot predict appear in the
// model's expectations as placeholders. compare.ts binds each placeholder to
// the value first observed for it and then holds the server to that value
// (the same message_id in the sender's reply, every recipient's event and
// every history; a page token the harness may pass back later).

const MESSAGE = "⟪model:message:";
const TOKEN = "⟪model:token:";
const END = "⟫";

/** The placeholder message_id of the n-th message the model predicts. */
export function messagePlaceholder(n: number): string {
  return `${MESSAGE}${n}${END}`;
}

/** The placeholder next_token of the n-th page token the model predicts. */
export function tokenPlaceholder(n: number): string {
  return `${TOKEN}${n}${END}`;
}

export function isMessagePlaceholder(value: string): boolean {
  return value.startsWith(MESSAGE) && value.endsWith(END);
}

export function isTokenPlaceholder(value: string): boolean {
  return value.startsWith(TOKEN) && value.endsWith(END);
}

/**
 * Maps a next_token observed from the server back to the model's placeholder
 * for it. compare.ts's Bindings implements it; pass it as StepContext.tokens
 * so the harness can send the same request (with the server's real token) to
 * both the server and the model.
 */
export interface TokenResolver {
  modelToken(observed: string): string | undefined;
}
