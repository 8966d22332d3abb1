import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { XdsTypeUrl } from "../resource-types/index.js";
import type { ClientKind } from "./client-kind.js";
import type { ServiceMapping } from "./map-service.js";
import type { MappingWarning } from "./mapping-warning.js";

/** One resource a builder wants published, not yet validated or encoded. */
export interface ResourceDraft {
  readonly typeUrl: XdsTypeUrl;
  readonly name: string;
  readonly message: Message;
  /** Names of resources of the child type (resource-types table) this one needs: a cluster's assignment, a listener's route configuration. */
  readonly references: readonly string[];
  /** What the validation gate needs besides the message: for a gRPC route configuration, the authority clients dial. */
  readonly authority?: string;
}

/** A piece of a resource assembled from many services (a virtual host of Envoy's route configuration). */
export interface PartDraft {
  /** Orders the parts within the assembled resource (the service's resource name). */
  readonly name: string;
  readonly message: Message;
  /**
   * Keys this part holds exclusively (virtual host domains, lower-cased). A last good part may stand
   * in for a rejected new one only while the new one still owns every key the old one holds.
   */
  readonly exclusiveKeys: readonly string[];
}

/** A change to one service's part of an assembled resource. */
export interface PartUpdate {
  /** The new part; undefined: the service has no part any more. */
  readonly part: PartDraft | undefined;
  /** Warnings about the part (they replace the service's previous part warnings). */
  readonly warnings: readonly MappingWarning[];
}

/** A resource made of one part per service, in order of the services' resource names (Envoy's route configuration). */
export interface Assembly {
  readonly typeUrl: XdsTypeUrl;
  readonly name: string;
  /** The resource without its parts: only fields numbered below `partField` may be set in it. */
  readonly shell: Message;
  readonly shellSchema: DescMessage;
  /** The repeated message field the parts go into. */
  readonly partField: number;
  /** The schema of one part. */
  readonly partSchema: DescMessage;
}

/** What one service contributes to one client kind. */
export interface ServiceContribution {
  readonly resources: readonly ResourceDraft[];
  /**
   * What the builder needs later to build the service's part (kept instead of the whole mapping, so
   * a publish of 10,000 services never holds 10,000 mappings at once); undefined without a part.
   */
  readonly partSource?: unknown;
}

/**
 * How one kind of client gets its configuration: Envoy and proxyless gRPC are two builders, and a
 * third kind is a third builder, not a publisher change. A builder turns a service's mapping into the
 * resources of its kind, and (for assembled resources such as Envoy's route configuration) decides
 * which parts exist. It validates, encodes and logs nothing: the publisher does.
 */
export interface ClientKindBuilder {
  /** The snapshot group its clients are served from. */
  readonly kind: ClientKind;
  /** Resources not tied to any service (Envoy's HTTP listener), built once from configuration. */
  readonly fixedResources: readonly ResourceDraft[];
  /** The resource assembled from services' parts, if the kind has one; `updateParts` feeds it. */
  readonly assembly: Assembly | undefined;
  /** The resources one service contributes to this kind (none: not served to it). */
  contribute(mapping: ServiceMapping): ServiceContribution;
  /**
   * Called once per publish with the services rebuilt in it, each with the `partSource` its
   * contribution carried (undefined when it has no mapping, or none of its resources is published for
   * this kind): returns the part of every service whose part changed — the ones named, and others
   * they affect (a domain handed over).
   */
  updateParts?(changes: ReadonlyMap<string, unknown>): Map<string, PartUpdate>;
}
