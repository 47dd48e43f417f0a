// The floor for the server's throughput: Fastify with one route and nothing else (no logger, no
// plugins), answering GET /health with a small JSON object, on 127.0.0.1 and a free port.
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/health", async () => ({ status: "ok", version: "0.0.0", uptime_ms: Math.round(process.uptime() * 1000) }));
const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`listening on ${address}\n`);
const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
