/**
 * The Host check: the server answers only the names it is reached by, so that a web page whose
 * name was rebound to 127.0.0.1 (DNS rebinding) cannot drive it from the user's browser. By
 * default those are the loopback names and the address it listens on; `server.allowed_hosts`
 * replaces them ("*" for any, ".example.com" for a domain and its subdomains). A server that
 * listens on every address (0.0.0.0, ::) answers any name unless the list is set: it needs API keys.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Config } from "../../config/schema.js";
import type { ServerContext } from "../context.js";
import { HostNotAllowed } from "../http/errors.js";
import { isLoopbackName } from "../policy/loopback.js";

const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "::", "[::]", ""]);

/** The host name of a Host header, without its port and brackets, lower-cased. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith("[")) return value.slice(1, value.indexOf("]") === -1 ? undefined : value.indexOf("]"));
  const colon = value.indexOf(":");
  // More than one colon is a bare IPv6 address, which has no port.
  return colon !== -1 && value.indexOf(":", colon + 1) === -1 ? value.slice(0, colon) : value;
}

/** Whether a request naming `name` in its Host header is for this server. */
export function hostAllowed(name: string, server: Config["server"]): boolean {
  if (server.allowed_hosts.length > 0) {
    return server.allowed_hosts.some((entry) => {
      const pattern = entry.trim().toLowerCase();
      if (pattern === "*") return true;
      if (pattern.startsWith(".")) return name === pattern.slice(1) || name.endsWith(pattern);
      return hostName(pattern) === name;
    });
  }
  const bound = hostName(server.host);
  if (WILDCARD_ADDRESSES.has(bound)) return true;
  return isLoopbackName(name) || name === bound;
}

export const hostCheckPlugin = fp(
  async (app: FastifyInstance, context: ServerContext) => {
    app.addHook("onRequest", (request, _reply, done) => {
      const header = request.headers.host;
      const name = typeof header === "string" ? hostName(header) : "";
      if (!name || !hostAllowed(name, context.config.current.server)) {
        return done(new HostNotAllowed(`host ${name ? JSON.stringify(name) : "(none)"} is not allowed`));
      }
      done();
    });
  },
  { name: "clinvk-host-check" },
);
