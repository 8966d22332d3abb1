// deploy/consul/config-entries.json: the agent config file whose config_entries.bootstrap gives the
// compose demo its traffic policy. Checked without a Consul binary: each entry decodes (in the
// agent config's snake_case), passes Consul's own validation and graph check, its subsets select
// exactly the greeter definitions of each version, and it is the dev demo's policy.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { compileFilter } from "../src/bexpr/index.js";
import { decodeConfigEntry } from "../src/consul/decode-config-entry.js";
import { demoConfigEntries } from "../src/dev/start-dev-environment.js";
import { checkConfigEntryGraph } from "../src/discovery-chain/index.js";
import type { ConfigEntry, ConfigEntryKind } from "../src/model/config-entry.js";
import { ConfigEntryStore } from "../src/model/config-entry-store.js";
import { validateConfigEntry } from "../src/model/validate-config-entry.js";
import { readConsulServiceDefinitions } from "./support/consul-service-definitions.js";
import { repoPath } from "./support/repo-path.js";

const file = JSON.parse(readFileSync(repoPath("deploy/consul/config-entries.json"), "utf8")) as {
  config_entries: { bootstrap: Array<Record<string, unknown>> };
};
const bootstrap = file.config_entries.bootstrap;
const definitions = readConsulServiceDefinitions(repoPath("deploy/consul"));

function decodeAll(raws: readonly Record<string, unknown>[]): ConfigEntry[] {
  return raws.map((raw) => {
    const kind = (raw.kind ?? raw.Kind) as ConfigEntryKind;
    const decoded = decodeConfigEntry(raw, kind);
    assert.ok(decoded.ok, `${kind}: ${decoded.ok ? "" : decoded.reason}`);
    assert.deepEqual(decoded.notes, { unknown: [], invalid: [] }, `${kind}/${decoded.entry.name}: every field is one Consul has`);
    return { ...decoded.entry, modifyIndex: 0 };
  });
}

describe("deploy/consul/config-entries.json", () => {
  const entries = decodeAll(bootstrap);

  it("should hold entries Consul accepts, graph included", () => {
    assert.ok(entries.length >= 3);
    for (const entry of entries) assert.equal(validateConfigEntry(entry), undefined, `${entry.kind}/${entry.name}`);
    const store = new ConfigEntryStore();
    for (const kind of ["service-defaults", "proxy-defaults", "service-router", "service-splitter", "service-resolver"] as const) {
      store.replaceKind(
        kind,
        entries.filter((e) => e.kind === kind),
      );
    }
    assert.equal(checkConfigEntryGraph(store.view()), undefined);
  });

  it("should select exactly the greeter instances of each version with each subset", () => {
    const resolver = entries.find((e) => e.kind === "service-resolver");
    assert.ok(resolver?.kind === "service-resolver");
    const greeters = definitions.filter((d) => d.name === resolver.name);
    assert.ok(greeters.length >= 2, "a greeter definition per version");
    for (const [subset, { filter }] of Object.entries(resolver.subsets)) {
      const compiled = compileFilter(filter, new Set(["Node", "Service", "Checks"]));
      assert.ok(compiled.ok);
      const selected = greeters.filter((d) =>
        compiled.matches({ Service: { ID: d.id, Service: d.name, Tags: d.tags, Meta: d.meta, Port: d.port } }),
      );
      assert.deepEqual(
        selected.map((d) => d.meta.version),
        [subset],
        `subset ${subset} selects the instance(s) of version ${subset} only`,
      );
    }
  });

  it("should be the same policy as the dev demo's", () => {
    assert.deepEqual(entries, decodeAll(demoConfigEntries));
  });
});
