/**
 * Conversation leases, for the compatible APIs: where a conversation's CLI session is found again,
 * and how one turn at a time holds it. A session answered through those APIs keeps the fingerprint of
 * its conversation (the turns so far and its last answer) in its metadata, and a tag made from it,
 * which is what any store can look up without reading every session. While a turn runs the tag is
 * taken away, so that two requests never continue one CLI session at once. The session's turn count
 * is kept with the fingerprint: a session that went on elsewhere (the native API, `clinvk resume`)
 * no longer holds the conversation the fingerprint describes. Built on the store contract's atomic
 * update and tag lookup only, so every store has them (and passes their contract tests).
 */
import type { BackendName } from "../core/backend-names.js";
import type { Session } from "./session.js";
import type { SessionStore } from "./store.js";

const TAG = "conv:";
export const conversationTag = (fingerprint: string) => `${TAG}${fingerprint.slice(0, 24)}`;

/** Metadata keys of sessions that the compatible APIs continue. */
export const META = {
  surface: "surface",
  conversation: "conversation",
  /** The session's turn_count when the fingerprint was recorded. */
  turn: "conversation_turn",
  response: "response_id",
  /** The latest response as a client can retrieve it (Responses API), JSON; kept with response_id. */
  responseRecord: "response_record",
} as const;

/** Fingerprints tried (newest first) before a conversation starts afresh. */
const MAX_LOOKUPS = 16;

export interface Taken {
  session: Session;
  /** The conversation's fingerprint before this turn, to give back if the turn fails. */
  previous?: string;
  previousResponse?: string;
}

/**
 * Takes the session's conversation for one turn. With `expected`, only if that is still its
 * fingerprint (another request may have taken or moved it on): undefined otherwise.
 */
export async function take(store: SessionStore, id: string, expected?: string): Promise<Taken | undefined> {
  let taken: Taken | undefined;
  const session = await store.update(id, (s) => {
    const previous = s.metadata[META.conversation];
    const current = previous === expected && s.metadata[META.turn] === String(s.turn_count);
    if (expected !== undefined && (!current || !s.tags.includes(conversationTag(expected)))) return;
    s.tags = s.tags.filter((tag) => !tag.startsWith(TAG));
    taken = { session: s, previous, previousResponse: s.metadata[META.response] };
  });
  if (taken) taken.session = session;
  return taken;
}

/**
 * The first of `fingerprints` (tried in order, at most MAX_LOOKUPS of them) that a session of
 * `backend` holds, taken; with the index of the fingerprint that matched.
 */
export async function takeByFingerprint(
  store: SessionStore,
  fingerprints: readonly string[],
  backend: BackendName,
): Promise<(Taken & { matched: number }) | undefined> {
  for (const [index, fingerprint] of fingerprints.slice(0, MAX_LOOKUPS).entries()) {
    const page = await store.list({ tag: conversationTag(fingerprint), backend, resumable: true, limit: 4 });
    for (const candidate of page.sessions) {
      const taken = await take(store, candidate.id, fingerprint);
      if (taken) return { ...taken, matched: index };
    }
  }
  return undefined;
}

/** The session's conversation is now `fingerprint`; with `responseId`, that response is its latest. */
export async function record(
  store: SessionStore,
  id: string,
  state: { fingerprint: string; responseId?: string; responseRecord?: string },
): Promise<void> {
  await store.update(id, (s) => {
    s.tags = [...s.tags.filter((tag) => !tag.startsWith(TAG)), conversationTag(state.fingerprint)];
    s.metadata[META.conversation] = state.fingerprint;
    s.metadata[META.turn] = String(s.turn_count);
    if (state.responseId) s.metadata[META.response] = state.responseId;
    else delete s.metadata[META.response];
    if (state.responseId && state.responseRecord) s.metadata[META.responseRecord] = state.responseRecord;
    else delete s.metadata[META.responseRecord];
  });
}

/**
 * Gives a taken conversation back after a failed turn, unless another turn has recorded a newer
 * one. The failed turn counts as one of the conversation's: a retry goes on in the same session.
 */
export async function giveBack(store: SessionStore, taken: Taken): Promise<void> {
  const { previous, previousResponse } = taken;
  if (!previous) return;
  await store.update(taken.session.id, (s) => {
    if (s.metadata[META.conversation] !== previous || s.tags.some((tag) => tag.startsWith(TAG))) return;
    s.tags = [...s.tags, conversationTag(previous)];
    s.metadata[META.turn] = String(s.turn_count);
    if (previousResponse) s.metadata[META.response] = previousResponse;
  });
}
