import { AdminService } from "../gen/consulxdsbridge/admin/v1/admin_pb.js";

/** One GET endpoint of the admin port, as the index lists it. */
interface Page {
  readonly path: string;
  readonly summary: string;
  /** How to try it; `{base}` becomes the admin address. */
  readonly example: string;
}

/** Every GET endpoint of the admin port. */
export const adminPages: readonly Page[] = [
  {
    path: "/ui",
    summary: "the live status page: services, endpoints, clients, recent changes, change→ACK latency",
    example: "open {base}/ui",
  },
  { path: "/ui/state", summary: "what the status page shows, as one JSON document", example: "curl -s {base}/ui/state" },
  { path: "/ui/events", summary: "the same, pushed as server-sent events whenever it changes", example: "curl -sN {base}/ui/events" },
  { path: "/metrics", summary: "Prometheus metrics (consul_xds_bridge_*)", example: "curl -s {base}/metrics" },
  { path: "/healthz", summary: "200 while the process runs", example: "curl -s {base}/healthz" },
  {
    path: "/readyz",
    summary: "200 once the initial Consul sync is done and its data is fresh, else 503 with the reason; names a held mass withdrawal",
    example: "curl -s {base}/readyz",
  },
];

/** What each AdminService method does and an example request body, for the index and error bodies. */
export const adminMethods: Readonly<Record<string, { readonly summary: string; readonly body: string }>> = {
  ListClients: { summary: "every connected xDS client and its state per type (what `status` shows)", body: "{}" },
  DumpConfig: {
    summary: "what one node was sent (names, versions, resources), or what a client kind (envoy, grpc) is served",
    body: '{"nodeId":"edge-1"}',
  },
  GetSyncStatus: { summary: "the bridge's view of Consul: synced, ready (and why not), staleness, model size", body: "{}" },
  ListChanges: { summary: "the recent changes of instances, as the change log wrote them", body: '{"limit":20}' },
  ConfirmWithdrawal: {
    summary: "apply the mass withdrawal held back now (GetSyncStatus's withdrawalHold, `status`) at once; holdId 0: whichever is held",
    body: '{"holdId":1}',
  },
};

/** The path of an AdminService method. */
export const adminMethodPath = (name: string) => `/${AdminService.typeName}/${name}`;

/** The curl command that calls an AdminService method with JSON. */
export function curlFor(base: string, name: string): string {
  return `curl -s -H 'content-type: application/json' -d '${adminMethods[name]?.body ?? "{}"}' ${base}${adminMethodPath(name)}`;
}

/** The text `GET /` answers: every endpoint and admin RPC, one line each, with an example. */
export function adminIndex(base: string): string {
  const width = Math.max(...adminPages.map((page) => page.path.length), ...AdminService.methods.map((m) => m.name.length)) + 2;
  const lines = [`consul-xds-bridge admin port (${base})`, "", "GET:"];
  for (const page of adminPages) {
    lines.push(`  ${page.path.padEnd(width)}${page.summary}`, `  ${"".padEnd(width)}${page.example.replaceAll("{base}", base)}`);
  }
  lines.push("", `POST, with a JSON body (${AdminService.typeName}, Connect; gRPC and gRPC-Web work too):`);
  for (const method of AdminService.methods) {
    lines.push(
      `  ${method.name.padEnd(width)}${adminMethods[method.name]?.summary ?? ""}`,
      `  ${"".padEnd(width)}${curlFor(base, method.name)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
