/**
 * Where a conversation's CLI session is found again. A session answered through these surfaces
 * keeps the fingerprint of its conversation (the turns so far and its last answer) in its metadata,
 * and a tag made from it, which is what the store can look up without reading every session. While
 * a turn runs the tag is taken away, so that two requests never continue one CLI session at once.
 * The session's turn count is kept with the fingerprint: a session that went on elsewhere (the
 * native API, `clinvk resume`) no longer holds the conversation the fingerprint describes.
 */
import type { BackendName } from "../../core/backend-names.js";
import type { Session } from "../../sessions/session.js";
import type { SessionStore } from "../../sessions/store.js";
import { prefixFingerprints, type Turn } from "./conversation.js";

const TAG = "conv:";
export const conversationTag = (fingerprint: string) => `${TAG}${fingerprint.slice(0, 24)}`;

/** Metadata keys of sessions that these surfaces continue. */
export const META = {
  surface: "surface",
  conversation: "conversation",
  /** The session's turn_count when the fingerprint was recorded. */
  turn: "conversation_turn",
  response: "response_id",
} as const;

/** Earlier answers of a request tried (newest first) before the conversation starts afresh. */
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

/** The session whose recorded conversation is the longest prefix of `turns`, taken. */
export async function takeByFingerprint(
  store: SessionStore,
  turns: readonly Turn[],
  backend: BackendName,
): Promise<(Taken & { matched: number }) | undefined> {
  const prefixes = prefixFingerprints(turns);
  let lookups = 0;
  for (let index = turns.length - 2; index >= 0 && lookups < MAX_LOOKUPS; index--) {
    if (turns[index]?.role !== "assistant") continue;
    lookups++;
    const fingerprint = prefixes[index] as string;
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
  state: { fingerprint: string; responseId?: string },
): Promise<void> {
  await store.update(id, (s) => {
    s.tags = [...s.tags.filter((tag) => !tag.startsWith(TAG)), conversationTag(state.fingerprint)];
    s.metadata[META.conversation] = state.fingerprint;
    s.metadata[META.turn] = String(s.turn_count);
    if (state.responseId) s.metadata[META.response] = state.responseId;
    else delete s.metadata[META.response];
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
