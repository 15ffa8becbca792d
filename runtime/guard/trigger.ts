/** What the guard found wrong. Each kind is computed by its own pure function (one file each). */
export type TriggerKind = "boot-failures" | "queue-wait" | "controller-offline" | "route-mismatch";

export interface Trigger {
  kind: TriggerKind;
  /** For people: names the host, job or run and the numbers. */
  message: string;
}

export const triggerKinds: readonly TriggerKind[] = ["boot-failures", "queue-wait", "controller-offline", "route-mismatch"];
