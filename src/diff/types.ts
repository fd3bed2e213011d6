/** The vocabulary of change detection, shared by every source. */

/** An entity as stored: upstream field names, JSON values, never a secret. */
export type Entity = Readonly<Record<string, unknown>>;

export type Changes = Record<string, { from: unknown; to: unknown }>;

/**
 * A field whose change has an event type of its own ("one change, one event"); `when` narrows it
 * (e.g. onboarding status only for 0 → 1). A change not claimed by a rule goes to the kind's
 * generic `changed` event.
 */
export interface FieldEventRule {
  readonly field: string;
  readonly type: string;
  readonly when?: (change: { from: unknown; to: unknown }, before: Entity, after: Entity) => boolean;
}

/** How one kind of entity of one source turns into events. */
export interface KindSpec {
  readonly kind: string;
  /** Event types; a kind without them keeps history only (e.g. counters) and never emits. */
  readonly events?: {
    readonly added: string;
    readonly removed: string;
    readonly changed: string;
    readonly fieldEvents?: readonly FieldEventRule[];
  };
}

export interface EventDraft {
  readonly type: string;
  readonly key: string;
  readonly before: Entity | null;
  readonly after: Entity | null;
  readonly changes: Changes | null;
}
