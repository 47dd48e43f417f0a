// biome-ignore-all lint/suspicious/noExplicitAny: the figures are JSON written by the suite; read loosely.
/**
 * Renders docs/reliability.md from the figures of the last run of the hardening suite
 * (.cache/hardening/figures.json, written by `npm run test:hardening`) and vitest's JSON report of that run.
 *   npx tsx scripts/reliability-report.ts [figures.json] [out.md]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const FIGURES = process.argv[2] ?? join(ROOT, ".cache", "hardening", "figures.json");
const RESULTS = join(dirname(FIGURES), "vitest-results.json");
const OUT = process.argv[3] ?? join(ROOT, "docs", "reliability.md");

const f: any = JSON.parse(readFileSync(FIGURES, "utf8"));
const results: any = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, "utf8")) : undefined;

const n = (value: unknown) =>
  typeof value === "number" ? value.toLocaleString("en-US") : value === undefined ? "–" : String(value);
const table = (head: string[], rows: unknown[][]) =>
  [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map(
      (row) =>
        `| ${row
          .map((cell) =>
            String(cell ?? "–")
              .replace(/\|/g, "\\|")
              .replace(/\n/g, " "),
          )
          .join(" | ")} |`,
    ),
  ].join("\n");
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

const out: string[] = [];
const say = (...lines: string[]) => out.push(...lines);

// ---- the run
const tests = (results?.testResults ?? []).flatMap((file: any) =>
  (file.assertionResults ?? []).map((t: any) => ({ ...t, file: String(file.name).replace(`${ROOT}/`, "") })),
);
const passed = tests.filter((t: any) => t.status === "passed").length;
const failing = tests.filter((t: any) => t.status === "failed");
const fileSeconds = (results?.testResults ?? []).map((file: any) => [
  String(file.name).replace(`${ROOT}/`, ""),
  Math.round(((file.endTime ?? 0) - (file.startTime ?? 0)) / 100) / 10,
  file.status,
]);

const fake = f.faults_fake;
const real = f.faults_real;
const hygiene = f.hygiene;
const load = f.load;
const fuzz = f.fuzz;
const hostile = f.hostile ?? {};
const data = f.data_safety ?? {};

const processesLeft =
  (hygiene?.processes_left ?? 0) +
  (real?.processes_left ?? 0) +
  (load?.processes_left ?? 0) +
  (f.run?.processes_left_at_end ?? 0);
const sessionsLost = (data.clinvk?.sessions_lost ?? 0) + (data.serve?.sessions_lost ?? 0);
const fuzzCases =
  (fuzz?.cases ?? 0) +
  (hostile.flag_injection_dry?.cases ?? 0) +
  (hostile.session_id_traversal?.cases ?? 0) +
  (hostile.workdirs?.cases ?? 0);

say(
  "# Reliability",
  "",
  "What `clinvk` survives, measured by the hardening suite (`npm run test:hardening`, files in `test/hardening/`,",
  "issue 11): faults of the CLIs beneath it, runs stopped at random moments, load at the admission cap, hostile",
  "input, and SIGKILL in the middle of session writes. Every figure below comes from the last run of the suite",
  "(`.cache/hardening/figures.json`); this page is generated from it by `scripts/reliability-report.ts`, so do not",
  "edit it by hand.",
  "",
  `Last run: ${f.run?.started ?? "?"} (commit ${f.run?.commit ?? "?"} plus the working tree), ${n(f.run?.duration_s)} s, Node ${f.run?.node}, ${f.run?.cpus} CPUs.`,
  results
    ? `Tests: ${passed} passed, ${failing.length} failed${failing.length ? " (listed at the end of this page)" : ""}.`
    : "Tests: vitest's report was not found.",
  "",
  "## The figures",
  "",
  table(
    ["figure", "value"],
    [
      [
        "faults tried",
        `${n(fake?.faults_tried)} fake-CLI faults on ${n(fake?.faces?.length)} faces (${n(fake?.runs)} runs); ${n(real?.faults_tried)} provider faults on the real claude, codex and gemini (${n(real?.runs)} runs)`,
      ],
      ["runs aborted at random moments", n(hygiene?.runs_aborted)],
      ["processes left behind (clinvk, CLIs, their children)", n(processesLeft)],
      [
        "requests served in the soak",
        `${n(load?.served)} served, ${n(load?.queue_full_429)} refused with 429 queue_full, of ${n(load?.requests)} in ${n(load?.seconds)} s`,
      ],
      ["5xx in the soak", n(load?.http_5xx)],
      [
        "fuzz cases (property-based, every route)",
        `${n(fuzz?.cases)} (+ ${n(fuzzCases - (fuzz?.cases ?? 0))} targeted hostile cases)`,
      ],
      ["500s / any 5xx / hangs under fuzzing", `${n(fuzz?.status_500)} / ${n(fuzz?.status_5xx)} / ${n(fuzz?.hangs)}`],
      [
        "sessions lost after SIGKILL",
        `${n(sessionsLost)} (of ${n((data.clinvk?.reported_created ?? 0) + (data.serve?.reported_created ?? 0))} reported saved; ${n((data.clinvk?.sigkills ?? 0) + (data.serve?.sigkills ?? 0))} SIGKILLs)`,
      ],
      [
        "server memory in the soak (RSS)",
        load
          ? `${load.rss_mb.start} MB at start, ${load.rss_mb.after_warmup} MB after warm-up, ${load.rss_mb.end} MB at the end (peak ${load.rss_mb.peak} MB)`
          : "–",
      ],
    ],
  ),
  "",
  "Time per file:",
  "",
  table(["file", "seconds", "status"], fileSeconds),
  "",
);

// ---- faults
if (fake) {
  say(
    "## Faults of the CLIs (fake CLI)",
    "",
    "The fake CLI (`test/fixtures/fake-cli/fake-cli.mjs`) misbehaves in the output format of each CLI it stands for.",
    `Every fault ran on claude, codex and gemini through ${fake.faces.length} faces: ${fake.faces.join(", ")}.`,
    "After each fault: no process of the runs left, `/health` answers `ok`, and a good prompt on the same backend",
    `succeeds (${n(fake.good_prompts_after_faults)} good prompts, ${n(fake.health_checks)} health checks). Errors in the server's log: ${n(fake.server_error_log_lines)}.`,
    "",
  );
  const groups: [string, (face: string) => boolean][] = [
    ["SDK run() / stream()", (face) => face.startsWith("SDK")],
    ["clinvk -o json / stream-json", (face) => face.startsWith("clinvk")],
    ["HTTP JSON / NDJSON / SSE", (face) => face.startsWith("HTTP")],
    ["OpenAI / Anthropic surfaces", (face) => face.startsWith("OpenAI") || face.startsWith("Anthropic")],
  ];
  const rows = fake.faults.map((fault: any) => {
    const all = Object.values<any>(fault.observed ?? {}).flat();
    const cells = groups.map(([, inGroup]) => {
      const seen = new Set<string>();
      for (const o of all.filter((o: any) => inGroup(o.face))) {
        seen.add(o.exit !== undefined && o.exit !== null ? `${o.code} (exit ${o.exit})` : o.code);
      }
      return [...seen].join(", ");
    });
    const events = new Set(all.flatMap((o: any) => (o.streamErrors?.length ? [o.streamErrors.join(" + ")] : [])));
    const sessions = new Set(all.flatMap((o: any) => (o.sessionStatus ? [o.sessionStatus] : [])));
    return [
      fault.fault,
      `${fault.expected} (exit ${fault.expected_exit})`,
      ...cells,
      [...events].join(", "),
      [...sessions].join(", "),
      Object.keys(fault.observed ?? {}).join(", "),
    ];
  });
  say(
    table(
      ["fault", "expected", ...groups.map(([name]) => name), "error events (streams)", "session", "backends"],
      rows,
    ),
    "",
  );
}
if (real) {
  say(
    "## Faults of the providers (the real CLIs against the provider stub)",
    "",
    "The pinned claude, codex and gemini (`.cache/e2e-clis`) talk to the provider stub of `test/e2e`, scripted to fail.",
    `Through clinvk (\`-o json\`) and \`clinvk serve\` (SSE) at once; ${n(real.processes_left)} processes left.`,
    "",
    table(
      ["fault", "expected", ...real.clis],
      real.faults.map((fault: any) => [
        fault.fault,
        `${fault.expected} (exit ${fault.expected_exit})`,
        ...real.clis.map((cli: string) =>
          real.observed
            .filter((o: any) => o.cli === cli && o.fault === fault.fault)
            .map(
              (o: any) =>
                `${o.face}: ${o.code}${o.exit !== undefined ? ` (exit ${o.exit})` : ""}${o.retryAfter ? `, Retry-After ${o.retryAfter}` : ""}`,
            )
            .join("; "),
        ),
      ]),
    ),
    "",
  );
}

// ---- hygiene
if (hygiene) {
  say(
    "## Process hygiene",
    "",
    `${n(hygiene.runs_aborted)} runs stopped at random moments (seed ${hygiene.seed}); every process of each run (clinvk, the fake CLI, its`,
    "grandchild) carries the run's token in `ps -eo pid,args`, and none was left:",
    `**${n(hygiene.processes_left)} processes left**, ${n(hygiene.stuck_runs)} runs that did not end in time.`,
    "Some CLIs ignore SIGTERM, let a grandchild hold their output pipe, or put it in a process group of its own.",
    "",
    table(["how the run was stopped", "runs"], Object.entries(hygiene.by_kind ?? {})),
    "",
    table(["outcome", "runs"], Object.entries(hygiene.outcomes ?? {})),
    "",
    `Seconds per phase: ${Object.entries(hygiene.phase_seconds ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}. \`clinvk serve\` after SIGTERM (shutdown deadline 1 s): ${(hygiene.serve_exits ?? []).join("; ")}.`,
    "",
  );
}

// ---- load
if (load) {
  say(
    "## Load",
    "",
    `A soak of ${n(load.seconds)} s (\`CLINVK_SOAK_SECONDS\`) against \`clinvk serve\` with max_running ${load.max_running} and a queue of`,
    `${load.max_queued}, from ${load.clients} clients at once: ${load.apis}.`,
    "",
    table(
      ["figure", "value"],
      [
        ["requests", n(load.requests)],
        ["served (the answer checked)", n(load.served)],
        [
          "refused: 429 queue_full",
          `${n(load.queue_full_429)} (Retry-After: ${(load.retry_after_values ?? []).join(", ")} s)`,
        ],
        ["other 4xx / 5xx / failed", `${n(load.other_4xx)} / ${n(load.http_5xx)} / ${n(load.failed)}`],
        ["most running / queued seen on /health", `${load.observed_max_running} / ${load.observed_max_queued}`],
        ["latency p50 / p99 (ms)", `${load.latency_ms.p50} / ${load.latency_ms.p99}`],
        [
          "server RSS: start, after warm-up, peak, end (MB)",
          `${load.rss_mb.start}, ${load.rss_mb.after_warmup}, ${load.rss_mb.peak}, ${load.rss_mb.end}`,
        ],
        ["RSS trend after warm-up", `${load.rss_slope_mb_per_min} MB/min`],
        ["processes left / errors in the log", `${n(load.processes_left)} / ${n(load.server_error_log_lines)}`],
      ],
    ),
    "",
    table(
      ["kind", "served", "429", "other 4xx", "5xx", "failed"],
      Object.entries<any>(load.by_kind ?? {}).map(([kind, t]) => [
        kind,
        t.ok,
        t.queueFull,
        t.other4xx,
        t.fiveXX,
        t.failed,
      ]),
    ),
    "",
  );
}

// ---- fuzz and hostile input
if (fuzz) {
  const routes = Object.entries<any>(fuzz.by_route ?? {});
  say(
    "## Hostile input: property-based fuzzing",
    "",
    `fast-check over every route of /openapi.json plus the hidden and missing ones (${n(fuzz.routes)} routes): bodies that follow`,
    "each route's schema and break it at any depth, non-JSON bodies and JSON that hurts parsers, hostile query strings,",
    `path parameters and headers, with and without the key. Seed ${fuzz.seed}; each request had ${fuzz.per_request_timeout_ms / 1000} s.`,
    "",
    `**${n(fuzz.cases)} cases: ${n(fuzz.status_500)} 500s, ${n(fuzz.status_5xx)} 5xx, ${n(fuzz.hangs)} hangs**, ${n(fuzz.violations)} violations (an error without a JSON error body, a secret in an answer),`,
    `${n(fuzz.secrets_in_log)} secrets in the server's log, ${n(fuzz.server_error_log_lines)} errors logged.`,
    "",
    table(
      ["route", "cases", "statuses"],
      routes.map(([route, statuses]) => [
        route,
        sum(Object.values<number>(statuses)),
        Object.entries(statuses)
          .map(([s, c]) => `${s}: ${c}`)
          .join(", "),
      ]),
    ),
    "",
  );
}
say("## Hostile input: targeted cases", "");
if (hostile.session_id_traversal) {
  say(
    `- Session ids that climb out of the store (raw requests, no client normalizes them; GET, DELETE, resume, the body's`,
    `  session_id, X-Clinvk-Session, previous_response_id): ${n(hostile.session_id_traversal.cases)} cases, all 4xx (${Object.entries(
      hostile.session_id_traversal.statuses,
    )
      .map(([s, c]) => `${s}: ${c}`)
      .join(", ")}); nothing outside the store read or deleted.`,
  );
}
if (hostile.workdirs) {
  say(
    `- Workdirs on ${hostile.workdirs.routes.join(", ")}: ${n(hostile.workdirs.cases)} cases; ${n(hostile.workdirs.refused)} refused (400), ${n(hostile.workdirs.ran_inside)} ran, all inside the allowed prefix (symlinks, \`..\`, siblings sharing the prefix, NUL, /proc).`,
  );
}
if (hostile.flag_injection_dry) {
  const dry = hostile.flag_injection_dry;
  const rec = hostile.flag_injection_recorded ?? {};
  say(
    `- Flag injection (prompts starting with \`-\`, models, system prompts, tools, allowlisted extra flags): ${n(dry.cases)} dry runs`,
    `  (${n(dry.accepted)} accepted, ${n(dry.refused)} refused), ${n(rec.runs_checked)} real runs whose argv the fake CLI recorded (server, clinvk, OpenAI and`,
    `  Anthropic surfaces): ${n(dry.problems + (rec.problems ?? 0))} tokens that the CLI's parser would read as a flag it was not meant as.`,
  );
}
if (hostile.xff_spoof) {
  say(
    `- Spoofed X-Forwarded-For / X-Real-IP / Forwarded from an untrusted peer, burst 3: ${hostile.xff_spoof.untrusted_peer.join(", ")}; the same from a trusted proxy (control): ${hostile.xff_spoof.trusted_proxy_control.join(", ")}.`,
  );
}
if (hostile.duplicate_credentials) {
  say(
    `- Duplicate credentials: ${Object.entries(hostile.duplicate_credentials)
      .map(([k, v]) => `${k} → ${v}`)
      .join("; ")}.`,
  );
}
if (hostile.huge_headers) {
  say(
    `- Huge headers: ${Object.entries(hostile.huge_headers)
      .map(([k, v]) => `${k} → ${v}`)
      .join("; ")}.`,
  );
}
if (hostile.keys_in_logs) {
  say(
    `- Keys in logs: ${n(hostile.keys_in_logs.requests)} requests with good, wrong and malformed keys to a server logging at trace level (${n(hostile.keys_in_logs.log_lines)} log lines), and \`clinvk serve --log-level trace\`: ${n(hostile.keys_in_logs.secrets_found)} keys or secrets found in logs or answers.`,
  );
}
say("");

// ---- the security review's attacks
const attacks = f.attacks;
if (attacks) {
  say(
    "## Attacks of the security review (issue 15)",
    "",
    `Replayed against \`clinvk serve\` and \`clinvk\` as users run them${attacks.real_clis ? ", with the real CLIs behind the provider stub where the attack needs an agent" : " (the real CLIs were not installed: those attacks were skipped)"}${attacks.mountable ? "" : "; the read-only and full disks were skipped (this machine does not allow mounting a tmpfs)"}.`,
    "",
    table(
      ["attack", "what happened", "held"],
      (attacks.attacks ?? []).map((a: any) => [a.attack, a.outcome, a.held ? "yes" : "**no**"]),
    ),
    "",
  );
}

// ---- data safety
if (data.clinvk || data.serve) {
  const rows = [
    ["SIGKILLs", data.clinvk?.sigkills, data.serve?.sigkills],
    ["session files", data.clinvk?.session_files, data.serve?.session_files],
    ["files that do not parse", data.clinvk?.corrupt_files, data.serve?.corrupt_files],
    ["temporary files left", data.clinvk?.temp_files_left, data.serve?.temp_files_left],
    [
      "index as left / rebuilt from the files / repaired",
      `${n(data.clinvk?.index_listed)} / ${n(data.clinvk?.index_rebuilt)} / ${n(data.clinvk?.index_repaired)}`,
      `${n(data.serve?.index_listed)} / ${n(data.serve?.index_rebuilt)} / ${n(data.serve?.index_repaired)}`,
    ],
    [
      "sessions reported saved / lost",
      `${n(data.clinvk?.reported_created)} / ${n(data.clinvk?.sessions_lost)}`,
      `${n(data.serve?.reported_created)} / ${n(data.serve?.sessions_lost)}`,
    ],
    [
      "turns reported done / lost",
      `${n(data.clinvk?.reported_completed)} / ${n(data.clinvk?.turns_lost)}`,
      `${n(data.serve?.reported_completed)} / ${n(data.serve?.turns_lost)}`,
    ],
    ["tags reported / lost", `${n(data.clinvk?.reported_tags)} / ${n(data.clinvk?.tags_lost)}`, "–"],
    ["the next write after the kills (ms)", data.clinvk?.next_write_ms, data.serve?.next_write_ms],
  ];
  say(
    "## Data safety",
    "",
    `\`clinvk\` processes (prompts and \`sessions tag\`) SIGKILLed at random moments for ${n(data.clinvk?.seconds)} s, and \`clinvk serve\` SIGKILLed with`,
    `runs in flight ${n(data.serve?.rounds)} times (restarted on the same store each time: ${n(data.serve?.found)} of ${n(data.serve?.before_each_round)} earlier sessions found through its API).`,
    "",
    table(
      ["", "clinvk", "clinvk serve"],
      rows.map((row) => row.map((cell) => n(cell as never))),
    ),
    "",
  );
}

// ---- failing tests
if (failing.length) {
  say(
    "## Failing tests",
    "",
    table(
      ["test", "file"],
      failing.map((t: any) => [String(t.title), t.file]),
    ),
    "",
  );
}

writeFileSync(OUT, `${out.join("\n")}\n`);
process.stdout.write(`wrote ${OUT.replace(`${ROOT}/`, "")}\n`);
