/**
 * `live.prewarm`: idle live processes started after the server listens, per backend, through the
 * engine that serves requests (the network engine, so that their pool keys are those of network
 * runs: the same policy, the same environment). Never holds up the start; a backend that cannot
 * start ahead is logged.
 */
import type { FastifyInstance } from "fastify";
import { BACKEND_NAMES, type BackendName } from "../../core/backend-names.js";
import { toClinvkError } from "../../core/errors.js";

/** Starts the processes in the background; the promise (for tests) settles when every backend has. */
export function prewarmLive(app: FastifyInstance, counts: Partial<Record<BackendName, number>>): Promise<void> {
  const starts = BACKEND_NAMES.filter((backend) => (counts[backend] ?? 0) > 0).map((backend) =>
    app.clinvk.engine.prewarm(backend, counts[backend] ?? 0).then(
      (started) => app.log.info({ backend, started }, "live processes started ahead"),
      (error: unknown) => {
        const info = toClinvkError(error).toInfo();
        app.log.warn(
          { backend, code: info.code, error: info.message, ...(info.hint ? { hint: info.hint } : {}) },
          "could not start live processes ahead",
        );
      },
    ),
  );
  return Promise.all(starts).then(() => undefined);
}
