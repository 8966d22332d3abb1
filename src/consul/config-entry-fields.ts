import { parseGoDuration } from "./go-duration.js";
import { isObject } from "./is-object.js";

/** What a tolerant read of one entry noticed: fields it does not know, and known fields it could not use. */
export interface FieldNotes {
  /** Paths of fields the bridge does not know (a newer Consul, Enterprise, a typo): ignored. */
  readonly unknown: string[];
  /** Known fields whose value has the wrong type: ignored, with why. */
  readonly invalid: string[];
}

/** Matches `PathPrefix`, `pathPrefix` and `path_prefix` alike, as Consul's decoder does. */
function normalise(key: string): string {
  return key.toLowerCase().replaceAll("_", "");
}

/**
 * A tolerant reader of one JSON object of a config entry: each getter takes a Consul field name,
 * finds it whatever its spelling (CamelCase from the API, snake_case from files), and returns
 * undefined — noting why — when the value has the wrong type. `finish()` notes every field no getter
 * asked for (or that `known` lists as read but unused) as unknown. Nothing here throws.
 */
export class EntryFields {
  private readonly byKey = new Map<string, { readonly key: string; readonly value: unknown }>();
  private readonly used = new Set<string>();
  private readonly children: EntryFields[] = [];

  constructor(
    value: Record<string, unknown>,
    private readonly path: string,
    private readonly notes: FieldNotes,
  ) {
    for (const [key, field] of Object.entries(value)) if (field !== null) this.byKey.set(normalise(key), { key, value: field });
  }

  /** Fields Consul has that the bridge does not use: read silently. */
  known(...names: string[]): this {
    for (const name of names) this.used.add(normalise(name));
    return this;
  }

  /** The raw value of a field (undefined when absent or null). */
  raw(name: string): unknown {
    const key = normalise(name);
    this.used.add(key);
    return this.byKey.get(key)?.value;
  }

  string(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined || typeof value === "string") return value === "" ? undefined : value;
    return this.invalid(name, "a string");
  }

  boolean(name: string): boolean {
    const value = this.raw(name);
    if (value === undefined) return false;
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    this.invalid(name, "a boolean");
    return false;
  }

  /** A non-negative number (numeric strings accepted, as Consul's weak decoding does). */
  number(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof n === "number" && Number.isFinite(n) && n >= 0) return n;
    return this.invalid(name, "a non-negative number");
  }

  /** A Go duration string (`15s`) or a number of nanoseconds (Go's JSON for time.Duration), as milliseconds. */
  duration(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const ms = typeof value === "number" ? value / 1e6 : typeof value === "string" ? parseGoDuration(value) : undefined;
    if (ms !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
    return this.invalid(name, 'a duration such as "15s"');
  }

  /** A duration that may be negative (Consul reads a negative route timeout as "disabled"), as milliseconds. */
  signedDuration(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const ms = typeof value === "number" ? value / 1e6 : typeof value === "string" ? parseGoDuration(value) : undefined;
    if (ms !== undefined && Number.isFinite(ms)) return ms;
    return this.invalid(name, 'a duration such as "15s"');
  }

  strings(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
    this.invalid(name, "a list of strings");
    return [];
  }

  numbers(name: string): number[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    if (Array.isArray(value) && value.every((item) => typeof item === "number" && Number.isInteger(item))) return value;
    this.invalid(name, "a list of integers");
    return [];
  }

  stringMap(name: string): Record<string, string> {
    const value = this.raw(name);
    if (value === undefined) return {};
    if (isObject(value) && Object.values(value).every((item) => typeof item === "string")) return { ...(value as Record<string, string>) };
    this.invalid(name, "a map of strings");
    return {};
  }

  /** A nested object, read with its own fields (undefined when absent or not an object). */
  object(name: string): EntryFields | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (isObject(value)) return this.adopt(new EntryFields(value, this.child(name), this.notes));
    return this.invalid(name, "an object");
  }

  /** A list of objects, each read with its own fields; other elements are noted and skipped. */
  objects(name: string): EntryFields[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.invalid(name, "a list");
      return [];
    }
    return value.flatMap((item, i) => {
      if (isObject(item)) return [this.adopt(new EntryFields(item, `${this.child(name)}[${i}]`, this.notes))];
      this.notes.invalid.push(`${this.child(name)}[${i}] is not an object`);
      return [];
    });
  }

  /** A map of objects (`Subsets`, `Failover`), each read with its own fields. */
  objectMap(name: string): Map<string, EntryFields> {
    const value = this.raw(name);
    const out = new Map<string, EntryFields>();
    if (value === undefined) return out;
    if (!isObject(value)) {
      this.invalid(name, "a map");
      return out;
    }
    for (const [key, item] of Object.entries(value)) {
      if (isObject(item)) out.set(key, this.adopt(new EntryFields(item, `${this.child(name)}[${JSON.stringify(key)}]`, this.notes)));
      else this.notes.invalid.push(`${this.child(name)}[${JSON.stringify(key)}] is not an object`);
    }
    return out;
  }

  /** Notes every field nobody read as unknown, here and in every nested object read. */
  finish(): void {
    for (const [key, { key: original }] of this.byKey) if (!this.used.has(key)) this.notes.unknown.push(this.child(original));
    for (const child of this.children) child.finish();
  }

  private adopt(child: EntryFields): EntryFields {
    this.children.push(child);
    return child;
  }

  private child(name: string): string {
    return this.path === "" ? name : `${this.path}.${name}`;
  }

  private invalid(name: string, expected: string): undefined {
    this.notes.invalid.push(`${this.child(name)} is not ${expected}; ignored`);
    return undefined;
  }
}
