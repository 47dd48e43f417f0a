/**
 * The shared session store: one PostgreSQL database for many clinvk instances. A session is one row
 * (its JSON as written, its summary, and the columns that listing filters on); a read-modify-write
 * holds the row's lock (SELECT ... FOR UPDATE) for its transaction, so no update from any instance
 * is lost and the conversation leases built on `update` hold across instances. The schema is
 * migrated on first use (pg-schema.ts).
 */
import type { Pool, PoolClient, QueryResult, QueryResultRow } from "pg";
import { ClinvkError } from "../core/errors.js";
import { checkSchemaName, migrate } from "./pg-schema.js";
import { likeContaining, searchText } from "./search.js";
import {
  checkSessionId,
  checkSessionPrefix,
  createSession,
  forkOf,
  type NewSession,
  type Session,
  type SessionFilter,
  type SessionPage,
  type SessionSummary,
  summarize,
} from "./session.js";
import type { CleanResult, SessionStore } from "./store.js";
import { checkTranscriptFile, MAX_TRANSCRIPT_BYTES, MAX_TRANSCRIPT_FILES, type TranscriptFile } from "./transcript.js";

export interface PgStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** The schema holding clinvk's tables (created if missing). */
  schema?: string;
  /** Connections this instance opens at most. */
  maxConnections?: number;
}

/** Errors that say the database cannot be reached or entered: a configuration problem, exit 3. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET"]);
/** SQLSTATEs of a refused login or a missing database. */
const REFUSED = new Set(["28000", "28P01", "3D000"]);

/** host:port/database of a URL, without its credentials: what messages and logs may show. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;
  } catch {
    return "(an unparsable URL)";
  }
}

export class PgSessionStore implements SessionStore {
  readonly schema: string;
  readonly where: string;
  private readonly options: PgStoreOptions;
  /** The pool, made on first use: `pg` is imported then, so a CLI on the file store never loads it. */
  private pool: Promise<Pool> | undefined;
  private ready: Promise<void> | undefined;

  constructor(options: PgStoreOptions) {
    if (!/^postgres(ql)?:\/\//.test(options.url)) {
      throw new ClinvkError(
        "invalid_config",
        "store.url must be a postgres:// URL",
        "e.g. postgres://clinvk@db.internal:5432/clinvk, or leave it empty for the file store",
      );
    }
    this.schema = checkSchemaName(options.schema ?? "public");
    this.where = describeDatabaseUrl(options.url);
    this.options = options;
  }

  private connection(): Promise<Pool> {
    this.pool ??= import("pg").then(({ default: pg }) => {
      const pool = new pg.Pool({
        connectionString: this.options.url,
        max: this.options.maxConnections ?? 10,
        connectionTimeoutMillis: 10_000,
        // A short-lived command ends when its work is done, not when idle connections time out.
        allowExitOnIdle: true,
        application_name: "clinvk",
      });
      // An idle connection that the server drops must not crash the process; the next query reconnects.
      pool.on("error", () => undefined);
      return pool;
    });
    return this.pool;
  }

  /** Connects and migrates once; a database that cannot be reached is an `invalid_config` error. */
  open(): Promise<void> {
    this.ready ??= this.connection()
      .then((pool) => migrate(pool, this.schema))
      .then(
        () => undefined,
        (error: unknown) => {
          this.ready = undefined;
          throw this.failure(error);
        },
      );
    return this.ready;
  }

  async close(): Promise<void> {
    // A store never used has no pool to end.
    await (await this.pool)?.end();
  }

  problems(): string[] {
    return [];
  }

  async create(input: NewSession): Promise<Session> {
    const session = createSession(input);
    const inserted = await this.query(
      `INSERT INTO ${this.table} (id, backend, backend_session_id, working_dir, model, status, tags, last_used, created_at, data, summary)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
      this.columns(session),
    );
    if (inserted.rowCount === 0)
      throw new ClinvkError("session_error", `a session with id ${session.id} exists already`);
    return session;
  }

  async get(id: string): Promise<Session> {
    checkSessionId(id);
    const result = await this.query<{ data: Session }>(`SELECT data FROM ${this.table} WHERE id = $1`, [id]);
    const row = result.rows[0];
    if (!row) throw notFound(`no session with id ${id}`);
    return row.data;
  }

  async getByPrefix(prefix: string): Promise<Session> {
    // Checked hex: no LIKE wildcard can be in it.
    const normalized = checkSessionPrefix(prefix);
    const result = await this.query<{ id: string }>(`SELECT id FROM ${this.table} WHERE id LIKE $1 LIMIT 100`, [
      `${normalized}%`,
    ]);
    if (result.rows.length === 0) throw notFound(`no session found with id or prefix ${normalized}`);
    if (result.rows.length > 1) {
      throw new ClinvkError(
        "session_not_found",
        `ambiguous prefix ${normalized}: it matches ${result.rows.length === 100 ? "100 or more" : result.rows.length} sessions`,
        "give more characters of the id",
      );
    }
    return this.get((result.rows[0] as { id: string }).id);
  }

  async count(filter: SessionFilter = {}): Promise<number> {
    const { clause, values } = whereOf(filter);
    const result = await this.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} ${clause}`, values);
    return Number(result.rows[0]?.n ?? 0);
  }

  async list(filter: SessionFilter = {}): Promise<SessionPage> {
    const { clause, values } = whereOf(filter);
    const offset = Math.max(0, Math.floor(filter.offset ?? 0));
    const limit = filter.limit && filter.limit > 0 ? Math.floor(filter.limit) : null;
    const result = await this.query<{ summary: SessionSummary; total: string }>(
      `SELECT summary, count(*) OVER () AS total FROM ${this.table} ${clause}
       ORDER BY last_used DESC, id DESC OFFSET $${values.length + 1} LIMIT $${values.length + 2}`,
      [...values, offset, limit],
    );
    const total = result.rows[0] ? Number(result.rows[0].total) : offset > 0 ? await this.count(filter) : 0;
    return { sessions: result.rows.map((row) => row.summary), total };
  }

  async update(id: string, change: (session: Session) => void): Promise<Session> {
    checkSessionId(id);
    return this.transaction(async (client) => {
      const result = await client.query<{ data: Session }>(`SELECT data FROM ${this.table} WHERE id = $1 FOR UPDATE`, [
        id,
      ]);
      const session = result.rows[0]?.data;
      if (!session) throw notFound(`no session with id ${id}`);
      change(session);
      session.id = id; // A change may not move a session.
      const [, ...rest] = this.columns(session);
      await client.query(
        `UPDATE ${this.table} SET backend = $2, backend_session_id = $3, working_dir = $4, model = $5, status = $6,
           tags = $7, last_used = $8, created_at = $9, data = $10, summary = $11 WHERE id = $1`,
        [id, ...rest],
      );
      return session;
    });
  }

  async delete(id: string): Promise<void> {
    checkSessionId(id);
    const result = await this.query(`DELETE FROM ${this.table} WHERE id = $1`, [id]);
    if (result.rowCount === 0) throw notFound(`no session with id ${id}`);
  }

  async clean(before: Date, options: { dryRun?: boolean } = {}): Promise<CleanResult> {
    const cutoff = before.toISOString();
    const dryRun = options.dryRun === true;
    if (dryRun) {
      const result = await this.query<{ data: Session }>(
        `SELECT data FROM ${this.table} WHERE last_used < $1 ORDER BY last_used DESC, id DESC`,
        [cutoff],
      );
      return { sessions: result.rows.map((row) => row.data), dryRun };
    }
    // A session that a turn is updating keeps its lock and is left for the next clean.
    const result = await this.query<{ data: Session }>(
      `DELETE FROM ${this.table} WHERE id IN (SELECT id FROM ${this.table} WHERE last_used < $1 FOR UPDATE SKIP LOCKED)
       RETURNING data`,
      [cutoff],
    );
    return { sessions: result.rows.map((row) => row.data), dryRun };
  }

  async fork(id: string): Promise<Session> {
    return this.create(forkOf(await this.get(id)));
  }

  /** Replaces the session's transcript in one transaction: a reader sees the old one or the new one. */
  async saveTranscript(sessionId: string, backend: string, files: TranscriptFile[]): Promise<void> {
    checkSessionId(sessionId);
    const total = files.reduce((sum, file) => sum + file.content.length, 0);
    if (files.length > MAX_TRANSCRIPT_FILES || total > MAX_TRANSCRIPT_BYTES) {
      throw new ClinvkError(
        "session_error",
        `the transcript of session ${sessionId.slice(0, 8)} is too large to share`,
      );
    }
    for (const file of files) checkTranscriptFile(file);
    await this.transaction(async (client) => {
      await client.query(`DELETE FROM ${this.schema}.session_transcripts WHERE session_id = $1`, [sessionId]);
      for (const file of files) {
        await client.query(
          `INSERT INTO ${this.schema}.session_transcripts (session_id, backend, path, sha256, size, content)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [sessionId, backend, file.path, file.sha256, file.content.length, file.content],
        );
      }
    });
  }

  async loadTranscript(sessionId: string): Promise<TranscriptFile[]> {
    checkSessionId(sessionId);
    const result = await this.query<{ path: string; sha256: string; content: Buffer }>(
      `SELECT path, sha256, content FROM ${this.schema}.session_transcripts WHERE session_id = $1 ORDER BY path`,
      [sessionId],
    );
    return result.rows.map((row) => checkTranscriptFile({ path: row.path, sha256: row.sha256, content: row.content }));
  }

  /** Nothing to rebuild: the database keeps its indexes itself. Returns the number of sessions. */
  async repair(): Promise<number> {
    return this.count();
  }

  private get table(): string {
    return `${this.schema}.sessions`;
  }

  private columns(session: Session): unknown[] {
    return [
      session.id,
      session.backend,
      session.backend_session_id || null,
      session.working_dir,
      session.model || null,
      session.status,
      session.tags,
      session.last_used,
      session.created_at,
      JSON.stringify(session),
      JSON.stringify(summarize(session)),
    ];
  }

  private async query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values: unknown[],
  ): Promise<QueryResult<R>> {
    await this.open();
    const pool = await this.connection();
    try {
      return await pool.query<R>(text, values);
    } catch (error) {
      throw this.failure(error);
    }
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    await this.open();
    const pool = await this.connection();
    const client = await pool.connect().catch((error: unknown) => {
      throw this.failure(error);
    });
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw this.failure(error);
    } finally {
      client.release();
    }
  }

  /** A ClinvkError for what the database did, naming the database but never its credentials. */
  private failure(error: unknown): ClinvkError {
    if (error instanceof ClinvkError) return error;
    const code = String((error as { code?: unknown }).code ?? "");
    const message = (error as Error).message ?? String(error);
    if (UNREACHABLE.has(code) || REFUSED.has(code) || /timeout exceeded when trying to connect/i.test(message)) {
      return new ClinvkError(
        "invalid_config",
        `cannot reach the session database at ${this.where}: ${message}${code && !message.includes(code) ? ` (${code})` : ""}`,
        "start PostgreSQL or fix store.url (CLINVK_STORE_URL); clinvk never falls back to local files when a database is configured",
        { cause: error },
      );
    }
    return new ClinvkError("session_error", `the session database at ${this.where} failed: ${message}`, undefined, {
      cause: error,
    });
  }
}

/** The WHERE clause of a filter, every value a parameter. */
function whereOf(filter: SessionFilter): { clause: string; values: unknown[] } {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    conditions.push(sql.replace("?", `$${values.length}`));
  };
  if (filter.backend) add("backend = ?", filter.backend);
  if (filter.status) add("status = ?", filter.status);
  if (filter.tag) add("tags @> ARRAY[?]::text[]", filter.tag);
  if (filter.workdir) add("working_dir = ?", filter.workdir);
  if (filter.model) add("model = ?", filter.model);
  if (filter.resumable) conditions.push("backend_session_id IS NOT NULL");
  const q = searchText(filter.q);
  if (q) {
    // One parameter, used for every field; the pattern is escaped, so it matches literally.
    values.push(likeContaining(q));
    const p = `$${values.length}`;
    conditions.push(
      `(data->>'title' ILIKE ${p} ESCAPE '\\' OR working_dir ILIKE ${p} ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM unnest(tags) AS tag WHERE tag ILIKE ${p} ESCAPE '\\') OR data->>'initial_prompt' ILIKE ${p} ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM json_array_elements(CASE WHEN json_typeof(data->'turns') = 'array' THEN data->'turns' END) AS turn
                   WHERE turn->>'prompt' ILIKE ${p} ESCAPE '\\'))`,
    );
  }
  return { clause: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "", values };
}

function notFound(message: string): ClinvkError {
  return new ClinvkError("session_not_found", message, "`clinvk sessions list` shows the sessions there are");
}
