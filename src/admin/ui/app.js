// The status page: renders /ui/events (server-sent events carrying the whole state) with plain
// DOM calls. Every string from the bridge goes through textContent: node ids and NACK texts are
// chosen by clients and must never become markup.

const svgNs = "http://www.w3.org/2000/svg";

/** Creates an element with attributes and children (strings become text nodes). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** "12s", "3m", "2h": how long ago `ms` was at `now`. */
function ago(ms, now) {
  if (ms === null || ms === undefined) return "";
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

const short = (version) => (version ? version.slice(0, 8) : "");

function renderHeader(state) {
  const { bridge } = state;
  document.getElementById("version").textContent = `v${bridge.version}${bridge.commit ? ` (${bridge.commit.slice(0, 8)})` : ""}`;
  const readiness = document.getElementById("readiness");
  readiness.textContent = bridge.ready ? "READY" : `NOT READY: ${bridge.notReadyReason ?? ""}`;
  readiness.className = `badge ${bridge.ready ? "ready" : "not-ready"}`;
  readiness.dataset.ready = String(bridge.ready);
  const consul = [
    bridge.stalenessSeconds === null ? "Consul: never synced" : `Consul data ${Math.round(bridge.stalenessSeconds)}s old`,
    `${state.serviceCount} services, ${state.instanceCount} instances`,
    bridge.consulError ? `last error ${bridge.consulError.class}: ${bridge.consulError.message}` : "",
    bridge.validationFailures ? `${bridge.validationFailures} resources withheld by validation` : "",
    bridge.withdrawalHold
      ? `WITHDRAWAL HELD (hold ${bridge.withdrawalHold.id}): ${bridge.withdrawalHold.endpointsHeld} of ` +
        `${bridge.withdrawalHold.endpointsServed} endpoints of ${bridge.withdrawalHold.services.join(", ")}` +
        `${bridge.withdrawalHold.filteredByAcls ? " (Consul filtered its answers by ACLs)" : ""}, ` +
        `applied ${new Date(bridge.withdrawalHold.appliesAt).toLocaleTimeString()} unless confirmed (ConfirmWithdrawal)`
      : "",
  ];
  document.getElementById("consul").textContent = consul.filter(Boolean).join(" · ");
}

function renderServices(state) {
  const body = document.querySelector("#services tbody");
  const rows = state.services.map((service) => {
    const instances = service.instances.map((instance) =>
      el(
        "span",
        {
          class: "instance",
          "data-instance": instance.id,
          "data-service": service.name,
          "data-state": instance.state,
          "data-routable": instance.routable,
          title: `${instance.node} · ${instance.datacenter}${instance.routable ? ` · weight ${instance.weight}` : ""}`,
        },
        el("span", { class: "label" }, `${instance.id} ${instance.address} ${instance.state}`),
        ...(instance.why ? [el("span", { class: "why" }, instance.why)] : []),
      ),
    );
    const more =
      service.instanceCount > service.instances.length ? [` … and ${service.instanceCount - service.instances.length} more`] : [];
    return el(
      "tr",
      { "data-service": service.name },
      el("td", { class: "mono" }, service.name),
      el("td", { "data-endpoints": service.routable }, `${service.routable} of ${service.instanceCount}`),
      el("td", {}, ...instances, ...more),
    );
  });
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: 3, class: "empty" }, "No services bridged (yet).")));
  body.replaceChildren(...rows);
  const hidden = state.serviceCount - state.services.length;
  document.getElementById("services-count").textContent =
    `${state.serviceCount}${hidden > 0 ? ` (first ${state.services.length} shown)` : ""}`;
}

function renderClients(state) {
  const body = document.querySelector("#clients tbody");
  const rows = [];
  for (const client of state.clients) {
    const cells = ["CDS", "EDS", "LDS", "RDS"].map((name) => {
      const type = client.types.find((t) => t.type === name);
      if (!type) return el("td", { "data-type": name }, "-");
      const version = type.state === "NACKED" ? type.nack.version : type.versionSent;
      const text = `${type.state} ${short(version)} ${type.state === "WAITING" ? "" : ago(type.sentAt, state.now)}`.trim();
      const provenance = type.provenance
        ? ` · Consul ${Object.entries(type.provenance.consulIndex)
            .map(([dc, index]) => `${dc}@${index}`)
            .join(" ")}, answered ${ago(type.provenance.answeredAt, state.now)} ago`
        : "";
      return el(
        "td",
        {
          class: `mono state-${type.state}`,
          "data-type": name,
          "data-state": type.state,
          title: `sent ${type.versionSent}, acked ${type.versionAcked}${provenance}`,
        },
        text,
      );
    });
    rows.push(
      el(
        "tr",
        { "data-node": client.nodeId, "data-stream": client.streamId },
        el("td", { class: "mono" }, client.nodeId || "(none)"),
        el("td", {}, client.cluster || "-"),
        el("td", {}, client.clientKind || "-"),
        el("td", { class: "mono" }, client.address),
        el("td", {}, client.streamKind),
        ...cells,
      ),
    );
    for (const type of client.types.filter((t) => t.nack)) {
      rows.push(
        el("tr", { class: "nack" }, el("td", { colspan: 9 }, `${type.type} rejected ${short(type.nack.version)}: ${type.nack.message}`)),
      );
    }
  }
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: 9, class: "empty" }, "No xDS clients connected.")));
  body.replaceChildren(...rows);
  document.getElementById("clients-count").textContent = String(state.clientCount);
}

function renderChanges(state) {
  const items = state.changes
    .slice()
    .reverse()
    .map((change) =>
      el(
        "li",
        { "data-seq": change.seq, "data-instance": change.instance, "data-kind": change.kind },
        el("time", { datetime: new Date(change.at).toISOString() }, new Date(change.at).toLocaleTimeString()),
        el("span", { class: `kind-${change.kind}` }, change.message),
      ),
    );
  if (items.length === 0) items.push(el("li", { class: "empty" }, "No change since the bridge started."));
  document.getElementById("changes").replaceChildren(...items);
  document.getElementById("changes-count").textContent = state.changes.length ? `last ${state.changes.length}` : "";
}

/** Change-to-ACK latency per acknowledgement over time, as dots (one colour per type). */
function renderLatency(state) {
  const chart = document.getElementById("latency");
  const samples = state.latencies;
  const [width, height, left, bottom, top, right] = [640, 200, 48, 24, 10, 10];
  const nodes = [];
  const ms = samples.map((s) => s.seconds * 1000);
  const sorted = ms.slice().sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const maxMs = Math.max(10, ...ms);
  // The axis ends at the next 1, 2 or 5 × 10ⁿ ms above the slowest ACK.
  const decade = 10 ** Math.floor(Math.log10(maxMs));
  const yMax = [1, 2, 5, 10].map((step) => step * decade).find((limit) => limit >= maxMs);
  const start = samples.length ? samples[0].at : state.now - 60_000;
  const span = Math.max(1000, state.now - start);
  const x = (at) => left + ((at - start) / span) * (width - left - right);
  const y = (value) => height - bottom - (value / yMax) * (height - bottom - top);
  nodes.push(svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width - right, y2: height - bottom }));
  nodes.push(svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }));
  for (const fraction of [0, 0.5, 1]) {
    nodes.push(svg("text", { x: left - 4, y: y(yMax * fraction) + 3, "text-anchor": "end" }, `${Math.round(yMax * fraction)} ms`));
  }
  nodes.push(svg("text", { x: left, y: height - 6 }, `${ago(start, state.now)} ago`));
  nodes.push(svg("text", { x: width - right, y: height - 6, "text-anchor": "end" }, "now"));
  for (const sample of samples) {
    const dot = svg("circle", { class: `dot ${sample.type}`, cx: x(sample.at).toFixed(1), cy: y(sample.seconds * 1000).toFixed(1), r: 3 });
    dot.append(svg("title", {}, `${sample.node} ${sample.type}: ${Math.round(sample.seconds * 1000)} ms`));
    nodes.push(dot);
  }
  if (samples.length === 0) {
    nodes.push(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, "no change acknowledged since the clients connected"));
  }
  chart.replaceChildren(...nodes);
  document.getElementById("latency-summary").textContent = samples.length
    ? `${samples.length} ACKs · p50 ${Math.round(pick(0.5))} ms · p90 ${Math.round(pick(0.9))} ms · max ${Math.round(sorted.at(-1))} ms`
    : "";
}

function render(state) {
  renderHeader(state);
  renderServices(state);
  renderClients(state);
  renderChanges(state);
  renderLatency(state);
  document.body.dataset.updated = String(state.now);
}

const live = document.getElementById("live");
const events = new EventSource("/ui/events");
events.addEventListener("state", (event) => {
  render(JSON.parse(event.data));
  live.textContent = "live";
  live.dataset.live = "true";
});
events.addEventListener("error", () => {
  live.textContent = "reconnecting…";
  live.dataset.live = "false";
});
