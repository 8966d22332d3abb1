/** How one request changed a stream's subscription to one type. */
export interface SubscriptionChange {
  /** Names that were not subscribed before this request (explicitly or through the wildcard). */
  readonly added: readonly string[];
  /** Names that are no longer subscribed. */
  readonly removed: readonly string[];
  /** The subscription became a wildcard subscription. */
  readonly wildcardAdded: boolean;
}

const unchanged: SubscriptionChange = Object.freeze({ added: Object.freeze([]), removed: Object.freeze([]), wildcardAdded: false });

/**
 * What a stream has subscribed to for one type, following the SotW rules: `resource_names` is the
 * whole subscription each time; for LDS and CDS only, `[]` on a stream that never named anything is
 * the legacy wildcard and `"*"` the explicit one; once names were used, `[]` means "nothing".
 */
export class Subscription {
  private wildcardFlag = false;
  private everNamed = false;
  private nameSet = new Set<string>();

  /** `wildcardAllowed` is true for LDS and CDS. */
  constructor(private readonly wildcardAllowed: boolean) {}

  /** True when every resource of the type is subscribed. */
  get wildcard(): boolean {
    return this.wildcardFlag;
  }

  /** Explicitly subscribed names (besides the wildcard, if any). */
  get names(): ReadonlySet<string> {
    return this.nameSet;
  }

  /** True when `name` is subscribed, explicitly or through the wildcard. */
  includes(name: string): boolean {
    return this.wildcardFlag || this.nameSet.has(name);
  }

  /** Replaces the subscription with the one a request states. */
  update(resourceNames: readonly string[]): SubscriptionChange {
    if (this.restates(resourceNames)) return unchanged;
    let wildcard = false;
    const next = new Set<string>();
    if (resourceNames.length === 0) {
      wildcard = this.wildcardAllowed && !this.everNamed;
    } else {
      this.everNamed = true;
      for (const name of resourceNames) {
        if (name === "*" && this.wildcardAllowed) wildcard = true;
        else next.add(name);
      }
    }
    // A name the previous wildcard already covered is not new to the client.
    const added: string[] = [];
    if (!this.wildcardFlag) for (const name of next) if (!this.nameSet.has(name)) added.push(name);
    const removed: string[] = [];
    for (const name of this.nameSet) if (!next.has(name)) removed.push(name);
    const wildcardAdded = wildcard && !this.wildcardFlag;
    this.wildcardFlag = wildcard;
    this.nameSet = next;
    return { added, removed, wildcardAdded };
  }

  /**
   * True when `resourceNames` names exactly the current explicit subscription (no wildcard, no
   * duplicates): what every ACK of a steady client says, answered without building new sets.
   */
  private restates(resourceNames: readonly string[]): boolean {
    if (this.wildcardFlag || resourceNames.length === 0 || resourceNames.length !== this.nameSet.size) return false;
    for (const name of resourceNames) if (name === "*" || !this.nameSet.has(name)) return false;
    return true;
  }
}
