/** A session's kept turns, oldest first: each prompt and answer with its status, model, duration and usage. */
import { fmt, type SessionTurn, type SessionTurns } from "../api.js";

/** The turn's model, duration, tokens and cost, those it has. */
const facts = (turn: SessionTurn) => [
  ...(turn.model ? [turn.model] : []),
  fmt.ms(turn.duration_ms),
  ...(turn.usage ? [fmt.tokens(turn.usage)] : []),
  ...(turn.usage?.cost_usd !== undefined ? [fmt.cost(turn.usage)] : []),
];

export function Turns({ turns }: { turns: SessionTurns }) {
  const first = turns.turns_dropped + 1;
  return (
    <section aria-labelledby="turns-title">
      <h3 id="turns-title">Turns</h3>
      {turns.turns_dropped > 0 && (
        <p class="muted">
          {turns.turns_dropped} older turn{turns.turns_dropped === 1 ? "" : "s"} no longer kept.
        </p>
      )}
      {turns.turns.length === 0 ? (
        <p class="muted">No turns kept for this session.</p>
      ) : (
        <ol class="turns" start={first}>
          {turns.turns.map((turn, i) => (
            <li key={`${turn.at}-${i}`} class="turn" data-turn={first + i}>
              <p class="muted">
                <span class={`badge ${turn.status === "success" ? "completed" : "error"}`}>
                  {turn.status === "success" ? "ok" : (turn.error_code ?? "error")}
                </span>{" "}
                {facts(turn).join(" · ")} · <time dateTime={turn.at}>{fmt.age(turn.at)}</time>
              </p>
              {turn.prompt === undefined && turn.answer === undefined ? (
                <p class="muted">Prompt and answer not kept (session.keep_turns is off).</p>
              ) : (
                <>
                  <p class="turn-prompt prompt">
                    {turn.prompt}
                    {turn.prompt_truncated && <span class="muted"> … (cut)</span>}
                  </p>
                  <pre class="turn-answer">
                    {turn.answer}
                    {turn.answer_truncated && "\n… (cut)"}
                  </pre>
                </>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
