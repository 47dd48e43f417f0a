/**
 * Pending approvals: the permission requests of live runs started with `ask_permissions`, parked
 * until their owner (the API key, or address, that started the run) decides them through
 * `/api/v1/approvals`, or until `server.approval_wait_secs` passes and
 * `server.approval_timeout_decision` applies. A run that ends takes its pending requests with it.
 * Bounded: past the caps a new request is denied at once rather than parked.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { BackendName } from "../../core/backend-names.js";
import type {
  PermissionContext,
  PermissionDecision,
  PermissionHandler,
  PermissionRequest,
} from "../../core/permissions.js";

export const APPROVAL_ID_PATTERN = "^[a-f0-9]{32}$";

/** What a client sees of one pending request. */
export interface PendingApproval {
  id: string;
  run_id?: string;
  session_id?: string;
  backend: BackendName;
  tool: string;
  input: unknown;
  description?: string;
  workdir: string;
  created_at: string;
  expires_at: string;
}

export interface ApprovalsOptions {
  /** How long a request waits for a decision, read per request. */
  waitMs: () => number;
  /** What a request no one decided in time becomes, read when it expires. */
  timeoutDecision: () => "allow" | "deny";
  /** Requests parked at once, across all owners. */
  maxPending?: number;
  /** Requests parked at once for one owner. */
  maxPerOwner?: number;
  now?: () => number;
}

interface Parked {
  approval: PendingApproval;
  owner: Buffer;
  timer: NodeJS.Timeout;
  settle: (decision: PermissionDecision) => void;
}

/** The owner as a fixed-length digest, so that two owners compare in constant time. */
const ownerDigest = (owner: string) => createHash("sha256").update(owner).digest();

export class Approvals {
  private readonly pending = new Map<string, Parked>();
  private readonly maxPending: number;
  private readonly maxPerOwner: number;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: ApprovalsOptions) {
    this.maxPending = options.maxPending ?? 1000;
    this.maxPerOwner = options.maxPerOwner ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** The permission handler of a run started by `owner`: each request waits here for a decision. */
  handler(owner: string): PermissionHandler {
    const digest = ownerDigest(owner);
    return (request, context) => this.park(request, context, digest);
  }

  /** The owner's pending requests, oldest first. */
  list(owner: string): PendingApproval[] {
    const digest = ownerDigest(owner);
    return [...this.pending.values()].filter((p) => owns(p, digest)).map((p) => ({ ...p.approval }));
  }

  /** One pending request of the owner's; undefined when unknown, decided, expired or another's. */
  get(id: string, owner: string): PendingApproval | undefined {
    const parked = this.pending.get(id);
    return parked && owns(parked, ownerDigest(owner)) ? { ...parked.approval } : undefined;
  }

  /** Decides one pending request of the owner's; undefined when there is none to decide. */
  decide(id: string, owner: string, decision: PermissionDecision): PendingApproval | undefined {
    const parked = this.pending.get(id);
    if (!parked || !owns(parked, ownerDigest(owner))) return undefined;
    parked.settle(decision);
    return parked.approval;
  }

  /** How many requests wait, across all owners (for /health). */
  get size(): number {
    return this.pending.size;
  }

  /** Denies every pending request and parks no more (the server is closing). */
  stopAll(): void {
    this.closed = true;
    for (const parked of [...this.pending.values()])
      parked.settle({ behavior: "deny", message: "the server is shutting down" });
  }

  private park(request: PermissionRequest, context: PermissionContext, owner: Buffer): Promise<PermissionDecision> {
    if (context.signal.aborted) return Promise.resolve({ behavior: "deny", message: "the run has ended" });
    if (this.closed) return Promise.resolve({ behavior: "deny", message: "the server is shutting down" });
    const mine = [...this.pending.values()].filter((p) => owns(p, owner)).length;
    if (this.pending.size >= this.maxPending || mine >= this.maxPerOwner) {
      return Promise.resolve({
        behavior: "deny",
        message: "too many approvals are pending on this server; the tool call was denied without asking",
      });
    }
    const id = randomBytes(16).toString("hex");
    const waitMs = this.options.waitMs();
    const created = this.now();
    const approval: PendingApproval = {
      id,
      ...(context.runId ? { run_id: context.runId } : {}),
      ...(context.sessionId ? { session_id: context.sessionId } : {}),
      backend: context.backend,
      tool: request.tool,
      input: request.input,
      ...(request.description ? { description: request.description } : {}),
      workdir: context.workdir,
      created_at: new Date(created).toISOString(),
      expires_at: new Date(created + waitMs).toISOString(),
    };
    return new Promise<PermissionDecision>((resolve) => {
      const settle = (decision: PermissionDecision) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(parked.timer);
        context.signal.removeEventListener("abort", onAbort);
        resolve(decision);
      };
      const onAbort = () => settle({ behavior: "deny", message: "the run has ended" });
      const onTimeout = () => {
        const behavior = this.options.timeoutDecision();
        const waited = `no one decided within ${Math.round(waitMs / 1000)} s`;
        settle(
          behavior === "allow"
            ? { behavior: "allow" }
            : { behavior: "deny", message: `${waited}; the server's default is to deny` },
        );
      };
      const parked: Parked = { approval, owner, timer: setTimeout(onTimeout, waitMs), settle };
      parked.timer.unref();
      this.pending.set(id, parked);
      context.signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}

function owns(parked: Parked, owner: Buffer): boolean {
  return timingSafeEqual(parked.owner, owner);
}
