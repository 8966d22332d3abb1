import { formatFieldPath, type PathSegment } from "./field-path.js";
import type { ValidationError } from "./validation-result.js";

/**
 * Mutable state of one validation walk: the current field path (a stack, joined only when an
 * error is reported) and the errors found so far.
 */
export class WalkContext {
  /** Errors found so far, in walk order. */
  readonly errors: ValidationError[] = [];
  /** The path from the root to the value being checked. */
  readonly path: PathSegment[] = [];

  /** Records an error at the current path. */
  report(message: string): void {
    this.errors.push({ path: formatFieldPath(this.path), message });
  }

  /** Records an error at the current path extended by one segment. */
  reportAt(segment: PathSegment, message: string): void {
    this.path.push(segment);
    this.report(message);
    this.path.pop();
  }
}

/** A precompiled check of one value (a field, a list item, a map key or value) at the context's current path. */
export type ValueCheck = (value: unknown, ctx: WalkContext) => void;
