import type { AdsPhase } from "../resource-types/index.js";
import {
  contentVersion,
  diffTypeSnapshots,
  type EncodedResource,
  isFullStateType,
  type TypeSnapshot,
  type XdsTypeUrl,
} from "../snapshot/index.js";
import type { TypeStatus } from "./sotw-stream.js";
import { Subscription } from "./subscription.js";

/** One response about to be sent: the outcome of planning a type. */
export interface ResponsePlan {
  readonly target: TypeSnapshot;
  readonly version: string;
  readonly resources: readonly EncodedResource[];
  /** Resources in this response that the client did not have in this form before. */
  readonly changed: readonly EncodedResource[];
  /** Full-state types: resources kept in the response only until the break phase removes them. */
  readonly lingering: ReadonlyMap<string, EncodedResource>;
}

/** What planning a type decided. */
export type Plan = { readonly send: ResponsePlan } | { readonly advanceTo: TypeSnapshot } | undefined;

/** Per-stream, per-type protocol state. */
export class TypeState {
  readonly subscription: Subscription;
  /** Nonce of the last response of this type; requests carrying another one are stale. */
  lastNonce: string | undefined;
  awaitingAck = false;
  /** For every subscribed name, the client has what this snapshot has (absent: nothing sent yet). */
  sent: TypeSnapshot | undefined;
  /** Full-state types: resources the client still holds although `sent` no longer has them. */
  lingering: ReadonlyMap<string, EncodedResource> = new Map();
  /** Names subscribed since the last response: they are sent even at an unchanged version. */
  readonly newlySubscribed = new Set<string>();
  wildcardAdded = false;
  /** EDS on ADS: names to send again although unchanged, because their cluster changed (warming). */
  readonly forceResend = new Set<string>();
  /**
   * Full-state types: set when a make response (one still carrying removed resources) was rejected;
   * the break is then put off until new data or a new subscription, so the rejected content is not
   * sent again on its own.
   */
  breakAfterNack: TypeSnapshot | undefined;
  sentVersion: string | undefined;
  sentAt: number | undefined;
  ackedVersion: string | undefined;
  lastNack: TypeStatus["lastNack"];

  constructor(readonly typeUrl: XdsTypeUrl) {
    this.subscription = new Subscription(isFullStateType(typeUrl));
  }
}

/** EDS and RDS: send what changed among the subscribed names, newly subscribed names, and forced ones. */
export function planPerResource(state: TypeState, target: TypeSnapshot): Plan {
  const { subscription } = state;
  const names = new Set<string>();
  if (!state.sent) {
    for (const name of subscription.names) if (target.resources.has(name)) names.add(name);
  } else {
    const { changed } = diffTypeSnapshots(state.sent, target);
    if (changed.size <= subscription.names.size) {
      for (const name of changed) if (subscription.includes(name)) names.add(name);
    } else {
      for (const name of subscription.names) if (changed.has(name)) names.add(name);
    }
    for (const name of state.newlySubscribed) if (target.resources.has(name)) names.add(name);
    for (const name of state.forceResend) {
      if (subscription.includes(name) && target.resources.has(name)) names.add(name);
    }
  }
  if (names.size === 0) return state.sent === target ? undefined : { advanceTo: target };
  const resources = [...names].map((name) => target.resources.get(name)!);
  return { send: { target, version: target.version, resources, changed: resources, lingering: new Map() } };
}

/** LDS and CDS: when anything subscribed changed, send every subscribed resource. */
export function planFullState(state: TypeState, target: TypeSnapshot, mode: AdsPhase["mode"]): Plan {
  const { subscription } = state;
  const first = state.sent === undefined;
  const changedNames = new Set<string>();
  const removed = new Map<string, EncodedResource>();
  for (const [name, resource] of state.lingering) {
    if (subscription.includes(name) && !target.resources.has(name)) removed.set(name, resource);
  }
  if (state.sent) {
    const diff = diffTypeSnapshots(state.sent, target);
    if (subscription.wildcard || diff.changed.size <= subscription.names.size) {
      for (const name of diff.changed) if (subscription.includes(name)) changedNames.add(name);
    } else {
      for (const name of subscription.names) if (diff.changed.has(name)) changedNames.add(name);
    }
    for (const name of diff.removed) {
      if (subscription.includes(name)) removed.set(name, state.sent.resources.get(name)!);
    }
  }
  for (const name of state.newlySubscribed) if (target.resources.has(name)) changedNames.add(name);
  const grew = first || state.wildcardAdded || state.newlySubscribed.size > 0;
  if (!grew && changedNames.size === 0 && removed.size === 0) {
    return state.sent === target ? undefined : { advanceTo: target };
  }
  const content = subscription.wildcard
    ? everyResource(target)
    : [...subscription.names].flatMap((name) => target.resources.get(name) ?? []);
  const changed = first || state.wildcardAdded ? content : [...changedNames].flatMap((name) => target.resources.get(name) ?? []);
  if (mode !== "make" && removed.size > 0 && state.breakAfterNack !== undefined && state.breakAfterNack === target) {
    // The make response was rejected: wait for new data before sending the same content again.
    return undefined;
  }
  if (mode === "make" && removed.size > 0) {
    // Removing now could break routes or listeners that still point at these; keep them until the
    // break phase, after the types that follow were sent.
    if (!grew && changedNames.size === 0) return undefined;
    const resources = [...content, ...removed.values()];
    return { send: { target, version: contentVersion(resources), resources, changed, lingering: removed } };
  }
  const version = subscription.wildcard ? target.version : contentVersion(content);
  return { send: { target, version, resources: content, changed, lingering: new Map() } };
}

const everyResourceCache = new WeakMap<TypeSnapshot, readonly EncodedResource[]>();

/** Every resource of a snapshot, as one array shared by all wildcard streams that send it. */
function everyResource(target: TypeSnapshot): readonly EncodedResource[] {
  let all = everyResourceCache.get(target);
  if (!all) everyResourceCache.set(target, (all = [...target.resources.values()]));
  return all;
}
