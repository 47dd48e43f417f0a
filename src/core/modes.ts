/** The unified modes every backend maps onto its own flags. */
export const APPROVAL_MODES = ["default", "auto", "none", "always"] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];

export const SANDBOX_MODES = ["default", "read-only", "workspace", "full"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];
