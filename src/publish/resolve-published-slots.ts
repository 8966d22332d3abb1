import type { ClientKind } from "../mapping/index.js";
import type { EncodedResource } from "../snapshot/index.js";

/** The resources a service contributes to one client kind's snapshot. */
export type Slot = "cluster" | "assignment" | "listener" | "route";

/** One service's resources for one client kind, by slot. */
export type Slots = Readonly<Partial<Record<Slot, EncodedResource>>>;

/** Parent → child slots whose names the snapshot consistency check follows, per client kind. */
export const slotPairs: Readonly<Record<ClientKind, readonly (readonly [Slot, Slot])[]>> = {
  envoy: [["cluster", "assignment"]],
  grpc: [
    ["cluster", "assignment"],
    ["listener", "route"],
  ],
};

/** Input of {@link resolvePublishedSlots}. */
export interface SlotResolution {
  readonly kind: ClientKind;
  /** What is published now (consistent, or empty). */
  readonly previous: Slots;
  /** Slots the new mapping wants (a slot it does not want is absent). */
  readonly wanted: ReadonlySet<Slot>;
  /** New resources that passed validation, by slot (absent: not wanted, or rejected). */
  readonly accepted: Slots;
}

/**
 * Decides what one service publishes for one client kind after a rebuild, keeping the snapshot
 * consistent: a rejected resource is replaced by its last good (published) version; per parent/child
 * pair (cluster → assignment, listener → route) the new pair is used when the parent's reference is
 * satisfied, else the previous pair is kept as a whole; a child no parent references is dropped.
 * When a wanted pair has neither, the service is left out of this kind entirely (empty result).
 */
export function resolvePublishedSlots(input: SlotResolution): Slots {
  const { previous, wanted, accepted } = input;
  const result: Partial<Record<Slot, EncodedResource>> = {};
  for (const [parentSlot, childSlot] of slotPairs[input.kind]) {
    if (!wanted.has(parentSlot) && !wanted.has(childSlot)) continue;
    const parent = accepted[parentSlot] ?? (wanted.has(parentSlot) ? previous[parentSlot] : undefined);
    const child = accepted[childSlot] ?? (wanted.has(childSlot) ? previous[childSlot] : undefined);
    let pair = satisfied(parent, child);
    if (!pair) pair = satisfied(previous[parentSlot], previous[childSlot]);
    if (!pair) return {};
    result[parentSlot] = pair[0];
    if (pair[1]) result[childSlot] = pair[1];
  }
  return result;
}

/** The pair as it can be published (child dropped when unreferenced), or undefined when the parent's reference is unmet. */
function satisfied(
  parent: EncodedResource | undefined,
  child: EncodedResource | undefined,
): [EncodedResource, EncodedResource | undefined] | undefined {
  if (!parent) return undefined;
  if (parent.references.length === 0) return [parent, undefined];
  if (!child || !parent.references.every((name) => name === child.name)) return undefined;
  return [parent, child];
}
