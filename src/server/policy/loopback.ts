/** Loopback names: a server bound to one answers only this machine, so it may go without API keys. */
import { isIP } from "node:net";

/** A name that only this machine answers to: localhost (and its subdomains), 127.x.x.x, ::1. */
export function isLoopbackName(name: string): boolean {
  if (name === "localhost" || name.endsWith(".localhost") || name === "::1") return true;
  return isIP(name) === 4 && name.startsWith("127.");
}
