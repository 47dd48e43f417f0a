/**
 * Fake CLIs for the benchmarks. The project's fake CLI (test/fixtures/fake-cli, a Node script) answers
 * like claude, codex or gemini by the name it is called as. Where a Node start per run would drown
 * the figure (doctor's version probes, 50 workflow tasks on 2 cores), a POSIX shell fake stands in:
 * the floor is then what the machine needs to run a CLI, near zero, and what remains is ours.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

export const fakeCliDir = (root: string) => join(root, "test", "fixtures", "fake-cli");

const SHELL_FAKE = `#!/bin/sh
# Written by bench/lib/fakes.ts. Sleeps $BENCH_FAKE_SLEEP seconds, then answers "ok" in the output
# format of the CLI it is called as (as claude: after $BENCH_FAKE_TICKS text deltas, $BENCH_FAKE_TICK_S
# seconds apart); appends "<start ns> <end ns>" to $BENCH_FAKE_LOG when set.
if [ "$1" = "--version" ]; then echo "9.9.9 (bench shell fake)"; exit 0; fi
[ -n "$BENCH_FAKE_LOG" ] && start=$(date +%s%N)
[ "\${BENCH_FAKE_SLEEP:-0}" != "0" ] && sleep "$BENCH_FAKE_SLEEP"
case "$(basename "$0")" in
  codex)
    echo '{"type":"thread.started","thread_id":"sh-fake"}'
    echo '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"ok"}}'
    echo '{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1}}' ;;
  gemini)
    echo '{"type":"init","session_id":"sh-fake","model":"fake-model"}'
    echo '{"type":"message","role":"assistant","content":"ok","delta":true}'
    echo '{"type":"result","status":"success","stats":{"input_tokens":1,"output_tokens":1}}' ;;
  *)
    echo '{"type":"system","subtype":"init","session_id":"sh-fake","model":"fake-model"}'
    i=0
    while [ "$i" -lt "\${BENCH_FAKE_TICKS:-0}" ]; do
      [ "$i" -gt 0 ] && sleep "\${BENCH_FAKE_TICK_S:-0.04}"
      echo '{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"tick "}}}'
      i=$((i + 1))
    done
    echo '{"type":"result","subtype":"success","is_error":false,"result":"ok","session_id":"sh-fake","usage":{"input_tokens":1,"output_tokens":1}}' ;;
esac
[ -n "$BENCH_FAKE_LOG" ] && echo "$start $(date +%s%N)" >> "$BENCH_FAKE_LOG"
exit 0
`;

/** Writes `claude`, `codex` and `gemini` shell fakes into `dir`; returns `dir`. */
export function writeShellFakes(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of ["claude", "codex", "gemini"]) {
    const path = join(dir, name);
    writeFileSync(path, SHELL_FAKE);
    chmodSync(path, 0o755);
  }
  return dir;
}

/** PATH with `dir` first, so that `claude`, `codex` and `gemini` are found there. */
export const pathWith = (dir: string) => [dir, process.env.PATH ?? "/usr/bin:/bin"].join(delimiter);
