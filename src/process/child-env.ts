/**
 * Environments built from an allowlist, for CLIs started on behalf of someone who is not the
 * machine's user (a network client): only what a CLI needs to run passes, never the server's own
 * secrets. Patterns are exact names or prefixes ending in `*` (`ANTHROPIC_*`).
 */

/** What every CLI needs: where things are, who it is, the locale, the terminal, proxies and CAs. */
export const BASE_CHILD_ENV: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "LC_*",
  "TZ",
  "TMPDIR",
  "TMP",
  "TEMP",
  "TERM",
  "NO_COLOR",
  "FORCE_COLOR",
  "XDG_*",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
];

export function envNameMatches(name: string, pattern: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** The variables of `env` that some pattern allows. */
export function allowedEnv(env: NodeJS.ProcessEnv, patterns: readonly string[]): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && patterns.some((pattern) => envNameMatches(name, pattern))) out[name] = value;
  }
  return out;
}
