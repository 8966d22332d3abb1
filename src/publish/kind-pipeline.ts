import { type Message, toBinary } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import type { ClientKindBuilder, MappingWarning, PartUpdate, ResourceDraft, ServiceMapping } from "../mapping/index.js";
import { resourceType, typeUrlOf, type XdsTypeUrl } from "../resource-types/index.js";
import { type EncodedResource, encodeResource, type TypeSnapshot } from "../snapshot/index.js";
import type { ValidationError } from "../validate/index.js";
import { KindSharing } from "./kind-sharing.js";
import { resolveServiceResources } from "./last-good.js";
import { LiveResources } from "./live-resources.js";
import { PartAssembler } from "./part-assembler.js";
import type { ValidationFailure } from "./publisher-events.js";
import { keyOf, type ResourceKey, resourceKey } from "./resource-key.js";
import { ScopeView } from "./scope-view.js";
import { type EnvoyVerdicts, validateDraft, validatePart } from "./validation-gate.js";

/** Work shared by every kind within one publisher: Envoy's verdict and the encoding of each message object. */
const envoyVerdicts: EnvoyVerdicts = new WeakMap();
const encodings = new WeakMap<Message, EncodedResource>();

/** Options of {@link KindPipeline}. */
export interface KindPipelineOptions {
  readonly builder: ClientKindBuilder;
  /** The first kind's pipeline: this one serves its type snapshots where its resources are the very same. */
  readonly base: KindPipeline | undefined;
  readonly logger: Logger | undefined;
  readonly onValidationFailure: ((failure: ValidationFailure) => void) | undefined;
}

/** What one service's part of an assembled resource is now. */
interface PartState {
  readonly name: string;
  readonly exclusiveKeys: readonly string[];
}

/**
 * The per-kind stages of a publish: build the kind's resources of a service (its builder) → validate
 * (the gate) → encode once → keep the last good per resource, consistently → apply to the kind's live
 * resources; parts of assembled resources likewise; then the kind's type snapshots.
 */
export class KindPipeline {
  /** The snapshot group this kind's clients are served from. */
  readonly group: string;
  /** Resources rejected by validation, in total. */
  validationFailures = 0;
  /** Parts (virtual hosts) built, in total. */
  partsBuilt = 0;
  private readonly builder: ClientKindBuilder;
  private readonly live = new LiveResources();
  private readonly sharing: KindSharing | undefined;
  /** Kinds that share this one's type snapshots: they re-compare a name whenever this kind changes it. */
  private readonly dependents: KindPipeline[] = [];
  /** Per service, what it publishes to this kind (a few resources each: an array costs less than a map × 10,000). */
  private readonly published = new Map<string, readonly EncodedResource[]>();
  private readonly assembler: PartAssembler | undefined;
  private readonly parts = new Map<string, PartState>();
  private readonly partWarningsByService = new Map<string, readonly MappingWarning[]>();
  /** Services rebuilt since the last updateParts, with their contribution's part source. */
  private readonly rebuilt = new Map<string, unknown>();
  /** The kind's own encoded resources (every scope holds them too). */
  private readonly fixed: EncodedResource[] = [];
  /** Groups of clients limited to some services, and the scopes each service is in. */
  private readonly scopes = new Map<string, ScopeView>();
  private readonly scopesOf = new Map<string, Set<ScopeView>>();
  private snapshots: ReadonlyMap<XdsTypeUrl, TypeSnapshot> | undefined;

  constructor(private readonly options: KindPipelineOptions) {
    this.builder = options.builder;
    this.group = options.builder.kind;
    this.sharing = options.base && new KindSharing(options.base.live, this.live);
    options.base?.dependents.push(this);
    // The kind's own resources come from configuration: a failure is a configuration error.
    const { assembly } = this.builder;
    const own = [...this.builder.fixedResources];
    if (assembly) own.push({ typeUrl: assembly.typeUrl, name: assembly.name, message: assembly.shell, references: [] });
    for (const draft of own) {
      const result = validateDraft(draft, this.builder.kind);
      if (!result.valid)
        throw new Error(
          `invalid ${this.group} ${draft.message.$typeName}: ${result.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
        );
    }
    for (const draft of this.builder.fixedResources) {
      const resource = this.encode(draft);
      this.fixed.push(resource);
      this.set(resource);
    }
    this.assembler = assembly && new PartAssembler(assembly);
  }

  /** True when the service publishes anything to this kind. */
  serves(service: string): boolean {
    return this.published.has(service);
  }

  /** The warnings of the service's part (empty without one). */
  partWarnings(service: string): readonly MappingWarning[] {
    return this.partWarningsByService.get(service) ?? [];
  }

  /** Rebuilds one service for this kind from its mapping (undefined: it is gone). */
  rebuild(service: string, mapping: ServiceMapping | undefined): void {
    const previous = new Map<ResourceKey, EncodedResource>();
    for (const resource of this.published.get(service) ?? []) previous.set(keyOf(resource), resource);
    const contribution = mapping ? this.builder.contribute(mapping) : undefined;
    const drafts = contribution?.resources ?? [];
    const wanted = new Set<ResourceKey>();
    const accepted = new Map<ResourceKey, EncodedResource>();
    const rejected: Array<{ draft: ResourceDraft; errors: readonly ValidationError[] }> = [];
    for (const draft of drafts) {
      const key = resourceKey(draft.typeUrl, draft.name);
      wanted.add(key);
      const result = validateDraft(draft, this.builder.kind, envoyVerdicts);
      if (!result.valid) {
        rejected.push({ draft, errors: result.errors });
        continue;
      }
      const resource = this.encode(draft);
      const old = previous.get(key);
      accepted.set(key, old && old.hash === resource.hash && sameReferences(old.references, resource.references) ? old : resource);
    }
    const next = resolveServiceResources({ previous, wanted, accepted });
    for (const { draft, errors } of rejected) {
      this.reportFailure({
        service,
        clientKind: this.builder.kind,
        typeUrl: draft.typeUrl,
        resourceName: draft.name,
        errors,
        kept: next.has(resourceKey(draft.typeUrl, draft.name)) ? "last-good" : "nothing",
      });
    }
    for (const [, resource] of previous) if (next.get(resourceKey(resource.typeUrl, resource.name)) !== resource) this.remove(resource);
    for (const [key, resource] of next) if (previous.get(key) !== resource) this.set(resource);
    const after = [...next.values()];
    for (const scope of this.scopesOf.get(service) ?? []) scope.replace(previous.values(), after);
    if (next.size === 0) this.published.delete(service);
    else this.published.set(service, after);
    // A part needs the service's resources published for this kind (a virtual host needs its cluster).
    this.rebuilt.set(service, next.size > 0 ? contribution?.partSource : undefined);
  }

  /**
   * Hands the builder the services rebuilt since the last call (with their part source while this
   * kind serves them) and applies the parts it returns; returns the services whose part warnings were set.
   */
  updateParts(): ReadonlyMap<string, readonly MappingWarning[]> {
    const changes = new Map(this.rebuilt);
    this.rebuilt.clear();
    if (!this.assembler || !this.builder.updateParts) return new Map();
    const touched = new Map<string, readonly MappingWarning[]>();
    for (const [service, update] of this.builder.updateParts(changes)) {
      this.applyPart(this.assembler, service, update);
      touched.set(service, update.warnings);
    }
    return touched;
  }

  /**
   * Opens the group of clients limited to `services`: it holds what those services publish now, and
   * follows them from then on. Opening an open scope does nothing.
   */
  openScope(group: string, services: ReadonlySet<string>): void {
    if (this.scopes.has(group)) return;
    const scope = new ScopeView(group, services, this.fixed, this.builder.assembly);
    this.scopes.set(group, scope);
    for (const service of services) {
      let set = this.scopesOf.get(service);
      if (!set) this.scopesOf.set(service, (set = new Set()));
      set.add(scope);
      scope.replace([], this.published.get(service) ?? []);
      const part = this.parts.get(service);
      const bytes = part && this.assembler?.get(part.name);
      if (part && bytes) scope.setPart(part.name, bytes);
    }
  }

  /** Forgets a scope nobody is served from any more. */
  closeScope(group: string): void {
    const scope = this.scopes.get(group);
    if (!scope) return;
    this.scopes.delete(group);
    for (const service of scope.services) {
      const set = this.scopesOf.get(service);
      set?.delete(scope);
      if (set?.size === 0) this.scopesOf.delete(service);
    }
  }

  /** Open scopes, for stats. */
  get scopeCount(): number {
    return this.scopes.size;
  }

  /** Every open scope (or only `group`) whose snapshot changed since it was last taken. */
  takeScopeSnapshots(group?: string): Map<string, ReadonlyMap<XdsTypeUrl, TypeSnapshot>> {
    const result = new Map<string, ReadonlyMap<XdsTypeUrl, TypeSnapshot>>();
    for (const [name, scope] of this.scopes) {
      if (group !== undefined && name !== group) continue;
      const types = scope.takeSnapshots();
      if (types) result.set(name, types);
    }
    return result;
  }

  /** The kind's type snapshots after this publish's changes, or undefined when nothing changed (and `force` is false). */
  takeSnapshots(force: boolean): ReadonlyMap<XdsTypeUrl, TypeSnapshot> | undefined {
    if (this.assembler) this.set(this.assembler.resource());
    if (this.live.dirtyTypes.size === 0 && !force && this.snapshots) return undefined;
    const base = this.options.base?.snapshots;
    this.snapshots = this.live.takeSnapshots((type) => this.sharing?.shared(type, base?.get(type)));
    return this.snapshots;
  }

  private applyPart(assembler: PartAssembler, service: string, update: PartUpdate): void {
    const previous = this.parts.get(service);
    if (update.warnings.length > 0) this.partWarningsByService.set(service, update.warnings);
    else this.partWarningsByService.delete(service);
    const { part } = update;
    const scopes = this.scopesOf.get(service) ?? [];
    if (!part) {
      if (previous) {
        assembler.delete(previous.name);
        for (const scope of scopes) scope.deletePart(previous.name);
      }
      this.parts.delete(service);
      return;
    }
    this.partsBuilt += 1;
    const result = validatePart(part, this.builder.kind);
    if (result.valid) {
      const bytes = toBinary(this.builder.assembly!.partSchema, part.message);
      if (previous && previous.name !== part.name) {
        assembler.delete(previous.name);
        for (const scope of scopes) scope.deletePart(previous.name);
      }
      assembler.set(part.name, bytes);
      for (const scope of scopes) scope.setPart(part.name, bytes);
      this.parts.set(service, { name: part.name, exclusiveKeys: part.exclusiveKeys });
      return;
    }
    // The last good part may stand in only while it holds nothing another service now owns.
    const owned = new Set(part.exclusiveKeys);
    const keep = previous?.exclusiveKeys.every((key) => owned.has(key)) ?? false;
    if (!keep) {
      if (previous) {
        assembler.delete(previous.name);
        for (const scope of scopes) scope.deletePart(previous.name);
      }
      this.parts.delete(service);
    }
    this.reportFailure({
      service,
      clientKind: this.builder.kind,
      typeUrl: typeUrlOf(this.builder.assembly!.partSchema),
      resourceName: part.name,
      errors: result.errors,
      kept: keep ? "last-good" : "nothing",
    });
  }

  private encode(draft: ResourceDraft): EncodedResource {
    const cached = encodings.get(draft.message);
    if (cached && cached.name === draft.name && sameReferences(cached.references, draft.references)) return cached;
    const resource = encodeResource(
      draft.typeUrl,
      resourceType(draft.typeUrl).schema,
      draft.message as never,
      draft.name,
      draft.references,
    );
    encodings.set(draft.message, resource);
    return resource;
  }

  private set(resource: EncodedResource): void {
    this.live.set(resource);
    this.compare(resource);
  }

  private remove(resource: EncodedResource): void {
    this.live.remove(resource);
    this.compare(resource);
  }

  private compare(resource: EncodedResource): void {
    this.sharing?.compare(resource.typeUrl, resource.name);
    for (const dependent of this.dependents) dependent.sharing!.compare(resource.typeUrl, resource.name);
  }

  private reportFailure(failure: ValidationFailure): void {
    this.validationFailures += 1;
    this.options.logger?.warn(
      {
        service: failure.service,
        clientKind: failure.clientKind,
        type: failure.typeUrl,
        resource: failure.resourceName,
        kept: failure.kept,
        errors: failure.errors.slice(0, 10),
      },
      "resource failed validation and was not published",
    );
    this.options.onValidationFailure?.(failure);
  }
}

function sameReferences(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
