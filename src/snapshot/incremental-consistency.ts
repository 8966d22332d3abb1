import { parentChildTypes } from "../resource-types/index.js";
import type { Snapshot } from "./snapshot.js";
import { checkSnapshotConsistency } from "./snapshot-consistency.js";
import { derivedChanges, type TypeSnapshot } from "./type-snapshot.js";

/** One parent → child pair of the last snapshot that passed: its type snapshots and how often each child name is referenced. */
interface PairState {
  readonly parents: TypeSnapshot;
  readonly children: TypeSnapshot;
  readonly references: Map<string, number>;
}

function countReferences(parents: TypeSnapshot): Map<string, number> {
  const references = new Map<string, number>();
  for (const resource of parents.resources.values())
    for (const name of resource.references) references.set(name, (references.get(name) ?? 0) + 1);
  return references;
}

/**
 * The same verdict as {@link checkSnapshotConsistency}, at the cost of what changed since the last
 * snapshot that passed rather than of the whole snapshot. Per parent → child pair it keeps how often
 * each child name is referenced; a new snapshot moves those counts by the parents that differ (by
 * object, so a change of references alone counts) and then only the names whose count moved or whose
 * child appeared or vanished are checked. A type snapshot shared with the last one costs nothing; one
 * derived from it (deriveTypeSnapshot) costs its changes; any other, one walk of both.
 * Problems, when there are any, are described by the full check, so messages are the same.
 */
export class IncrementalConsistency {
  private state: PairState[] | undefined;

  /** Problems of `snapshot` (empty: consistent). A consistent snapshot becomes the base of the next check. */
  check(snapshot: Snapshot): string[] {
    const previous = this.state;
    if (!previous) {
      const problems = checkSnapshotConsistency(snapshot);
      if (problems.length === 0)
        this.state = parentChildTypes.map(([p, c]) => ({
          parents: snapshot.get(p),
          children: snapshot.get(c),
          references: countReferences(snapshot.get(p)),
        }));
      return problems;
    }
    const next: PairState[] = [];
    const undo: Array<() => void> = [];
    let consistent = true;
    for (const [i, [parentType, childType]] of parentChildTypes.entries()) {
      const before = previous[i]!;
      const parents = snapshot.get(parentType);
      const children = snapshot.get(childType);
      if (parents === before.parents && children === before.children) {
        next.push(before);
        continue;
      }
      const { references } = before;
      const touched = new Set<string>();
      const move = (names: readonly string[], by: number): void => {
        for (const name of names) {
          const count = (references.get(name) ?? 0) + by;
          if (count === 0) references.delete(name);
          else references.set(name, count);
          touched.add(name);
          undo.push(() => {
            const back = (references.get(name) ?? 0) - by;
            if (back === 0) references.delete(name);
            else references.set(name, back);
          });
        }
      };
      if (parents !== before.parents) {
        // A snapshot derived from the last one names what differs; otherwise walk both.
        const names = derivedChanges(before.parents, parents);
        if (names) {
          for (const name of names) {
            const old = before.parents.resources.get(name);
            const resource = parents.resources.get(name);
            if (old) move(old.references, -1);
            if (resource) move(resource.references, 1);
          }
        } else {
          for (const [name, resource] of parents.resources) {
            const old = before.parents.resources.get(name);
            if (old === resource) continue;
            if (old) move(old.references, -1);
            move(resource.references, 1);
          }
          for (const [name, old] of before.parents.resources) if (!parents.resources.has(name)) move(old.references, -1);
        }
      }
      if (children !== before.children) {
        const names = derivedChanges(before.children, children);
        if (names) for (const name of names) touched.add(name);
        else {
          for (const name of children.resources.keys()) if (!before.children.resources.has(name)) touched.add(name);
          for (const name of before.children.resources.keys()) if (!children.resources.has(name)) touched.add(name);
        }
      }
      for (const name of touched) {
        if ((references.get(name) ?? 0) > 0 !== children.resources.has(name)) consistent = false;
      }
      next.push({ parents, children, references });
    }
    if (consistent) {
      this.state = next;
      return [];
    }
    for (const revert of undo.reverse()) revert();
    return checkSnapshotConsistency(snapshot);
  }
}
