import { type DescMethodUnary, fromBinary, fromJson, getOption, type JsonValue, toJson } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import {
  assertByteStreamRequest,
  contentTypeMatcher,
  type UniversalHandler,
  type UniversalServerRequest,
  type UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { type DiscoveryRequest, DiscoveryRequestSchema } from "../gen/envoy/service/discovery/v3/discovery_pb.js";
import { http } from "../gen/google/api/annotations_pb.js";
import {
  clusterType,
  contentVersion,
  type EncodedResource,
  isFullStateType,
  type Snapshot,
  type TypeSnapshot,
  type XdsTypeUrl,
} from "../snapshot/index.js";
import { envoyTypeRegistry } from "../validate/index.js";
import { authorityKey, readMaxBytesKey } from "./request-context.js";

/** What the REST handler needs of the server: the group a node belongs to, and its snapshot. */
export interface RestDiscoverySource {
  /** The snapshot for the group of `node` (undefined: nothing to serve yet), keeping that group alive a while. */
  snapshotFor(request: DiscoveryRequest): Snapshot | undefined;
  /** Called for every request answered (200 or 304), for logs and metrics. */
  onFetch?(request: DiscoveryRequest, typeUrl: XdsTypeUrl, version: string, modified: boolean): void;
}

/** Options of {@link createRestDiscoveryHandler}. */
export interface RestDiscoveryHandlerOptions {
  /** A FetchX method; its `google.api.http` binding (POST /v3/discovery:…) is the path served. */
  method: DescMethodUnary;
  typeUrl: XdsTypeUrl;
  source: RestDiscoverySource;
  /** How often Envoy should poll the endpoints of clusters it got over REST (default 5,000 ms). */
  edsRefreshDelayMs?: number;
}

const jsonHeader = { "content-type": "application/json; charset=utf-8" } as const;
/** Per resource (then per EDS source key, for clusters): its JSON. */
const resourceJson = new WeakMap<EncodedResource, Map<string, string>>();
/** Per type snapshot (then per EDS source key): the JSON of every resource, joined. */
const wildcardJson = new WeakMap<TypeSnapshot, Map<string, string>>();

/**
 * Envoy's REST-JSON polling (`api_type: REST`) for one resource type, as a Connect UniversalHandler
 * on the path the xDS protos bind the type's Fetch method to (e.g. POST /v3/discovery:clusters). A
 * proto3-JSON DiscoveryRequest comes in; the answer is the JSON DiscoveryResponse of what the node's
 * snapshot holds for the requested names (every resource for a CDS/LDS request naming none, or "*"),
 * or 304 Not Modified when its version equals the request's version_info — what Envoy's
 * RestApiFetcher takes as "nothing changed". Versions come from content, as on the streams, so any
 * replica answers a poller the same way. Each resource's JSON is rendered once per content.
 *
 * A cluster polled over REST gets its endpoints over REST too: the bridge's EDS clusters say
 * `eds_config { ads {} }`, which an Envoy without ADS cannot follow (and Envoy does not implement
 * `self`), so their config source becomes REST on the cluster Envoy reached the bridge through —
 * the request's authority, which Envoy's REST client sets to that cluster's name.
 *
 * Bad input is answered, never thrown: 405 for another method, 415 for another content type, 413
 * for a body over the listener's limit, 400 (with a JSON message) for malformed JSON or a request
 * for another type, 503 while nothing has been published for the node's group yet.
 */
export function createRestDiscoveryHandler(options: RestDiscoveryHandlerOptions): UniversalHandler {
  const { method, typeUrl, source } = options;
  const refreshDelay = `${(options.edsRefreshDelayMs ?? 5_000) / 1000}s`;
  const rule = getOption(method, http);
  if (rule.pattern.case !== "post") throw new Error(`${method.name} has no POST binding`);
  const requestPath = rule.pattern.value;
  const handle = async (request: UniversalServerRequest): Promise<UniversalServerResponse> => {
    if (request.method !== "POST") return failure(405, Code.Unimplemented, `${requestPath} answers POST only`, { allow: "POST" });
    const contentType = request.header.get("content-type") ?? "";
    if (!/^application\/json(;|$)/i.test(contentType)) {
      return failure(415, Code.InvalidArgument, `a DiscoveryRequest as application/json is expected, not ${JSON.stringify(contentType)}`);
    }
    assertByteStreamRequest(request);
    const limit = request.contextValues?.get(readMaxBytesKey) ?? readMaxBytesKey.defaultValue;
    const body = await readBody(request.body, limit);
    if (body === undefined) return failure(413, Code.ResourceExhausted, `the request body is larger than the limit of ${limit} bytes`);

    let discovery: DiscoveryRequest;
    try {
      discovery = fromJson(DiscoveryRequestSchema, JSON.parse(body) as JsonValue, { ignoreUnknownFields: true });
    } catch (error) {
      return failure(400, Code.InvalidArgument, `malformed DiscoveryRequest JSON: ${(error as Error).message}`);
    }
    if (discovery.typeUrl !== "" && discovery.typeUrl !== typeUrl) {
      return failure(400, Code.InvalidArgument, `${requestPath} serves ${typeUrl}, not ${JSON.stringify(discovery.typeUrl)}`);
    }
    const snapshot = source.snapshotFor(discovery);
    if (!snapshot)
      return failure(503, Code.Unavailable, "no configuration has been published for this node yet (initial sync with Consul)");

    const target = snapshot.get(typeUrl);
    const names = discovery.resourceNames;
    const wildcard = isFullStateType(typeUrl) && (names.length === 0 || names.includes("*"));
    const resources = wildcard ? undefined : [...new Set(names)].flatMap((name) => target.resources.get(name) ?? []);
    const version = resources ? contentVersion(resources) : target.version;
    const modified = discovery.versionInfo !== version;
    source.onFetch?.(discovery, typeUrl, version, modified);
    if (!modified) return { status: 304 };
    // The EDS source a REST cluster points at (none for the other types: their JSON is the resource's).
    const eds = typeUrl === clusterType ? restEdsSource(request.contextValues?.get(authorityKey) ?? "", refreshDelay) : undefined;
    const list = resources ? resources.map((resource) => jsonOf(resource, eds)).join(",") : everyResourceJson(target, eds);
    const json = `{"versionInfo":${JSON.stringify(version)},"resources":[${list}],"typeUrl":${JSON.stringify(typeUrl)}}`;
    return { status: 200, header: new Headers(jsonHeader), body: bytes(json) };
  };
  return Object.assign(handle, {
    protocolNames: ["rest"],
    service: method.parent,
    method,
    requestPath,
    allowedMethods: ["POST"],
    supportedContentType: contentTypeMatcher(/^application\/json/i),
  });
}

/** The body as text, or undefined once it exceeds `limit` bytes (reading stops there). */
async function readBody(body: AsyncIterable<Uint8Array>, limit: number): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    length += chunk.length;
    if (length > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length).toString("utf8");
}

/** An EDS config source for clusters served over REST, with the key its JSON is cached under. */
interface RestEdsSource {
  readonly key: string;
  readonly config: JsonValue;
}

function restEdsSource(authority: string, refreshDelay: string): RestEdsSource | undefined {
  if (authority === "") return undefined;
  return {
    key: `${authority}\u0000${refreshDelay}`,
    config: {
      apiConfigSource: { apiType: "REST", transportApiVersion: "V3", clusterNames: [authority], refreshDelay },
      resourceApiVersion: "V3",
    },
  };
}

/** A resource as proto3 JSON (an Any with "@type"), rendered once per content (and EDS source). */
function jsonOf(resource: EncodedResource, eds: RestEdsSource | undefined): string {
  let byKey = resourceJson.get(resource);
  if (!byKey) resourceJson.set(resource, (byKey = new Map()));
  const key = eds?.key ?? "";
  let json = byKey.get(key);
  if (json === undefined) {
    const value = toJson(AnySchema, fromBinary(AnySchema, resource.any), { registry: envoyTypeRegistry() }) as {
      edsClusterConfig?: { edsConfig?: { ads?: unknown } };
    };
    if (eds && value.edsClusterConfig?.edsConfig?.ads !== undefined) value.edsClusterConfig.edsConfig = eds.config as never;
    byKey.set(key, (json = JSON.stringify(value)));
  }
  return json;
}

/** Every resource of a type snapshot as JSON, joined once per snapshot (what every wildcard poller gets). */
function everyResourceJson(target: TypeSnapshot, eds: RestEdsSource | undefined): string {
  let byKey = wildcardJson.get(target);
  if (!byKey) wildcardJson.set(target, (byKey = new Map()));
  const key = eds?.key ?? "";
  let json = byKey.get(key);
  if (json === undefined) byKey.set(key, (json = [...target.resources.values()].map((resource) => jsonOf(resource, eds)).join(",")));
  return json;
}

function bytes(text: string): AsyncIterable<Uint8Array> {
  const encoded = Buffer.from(text, "utf8");
  return (async function* () {
    yield encoded;
  })();
}

/** An error answer: the HTTP status, and a body in the Connect error JSON shape. */
function failure(status: number, code: Code, message: string, extra: Record<string, string> = {}): UniversalServerResponse {
  // Connect's error codes in JSON are snake_case ("invalid_argument").
  const name = Code[code].replace(/[A-Z]/g, (letter, at: number) => (at > 0 ? "_" : "") + letter.toLowerCase());
  return { status, header: new Headers({ ...jsonHeader, ...extra }), body: bytes(JSON.stringify({ code: name, message })) };
}
