// Overview: job and run counts by status, and per-minute charts of the last hour (GET .../stats?minutes=60).
import { api, paths } from "./api.js";
import { h, clear } from "./dom.js";
import { chart } from "./chart.js";
import { clock } from "./format.js";

export async function overview(c) {
  c.view.append(h("h2", null, `Overview · ${c.product}`));
  const body = h("div", { id: "overview" });
  c.view.append(body);
  const draw = async () => {
    let stats;
    try { stats = await api("GET", paths.stats(c.product) + "?minutes=60"); } catch (e) { c.showError(e); return; }
    if (!c.current()) return;
    render(clear(body), stats, c);
  };
  await draw();
  c.every(10_000, draw);
}

function cards(title, counts, order, cls) {
  return [h("h3", null, title), h("div", { class: "cards" }, order.map((k) =>
    h("div", { class: "card", "data-count": `${cls}-${k}` },
      h("div", { class: `n ${cls}-${k}` }, String(counts[k] ?? 0)), h("div", { class: "l" }, k.replace("_", " ")))))];
}

function render(body, stats, c) {
  body.append(...cards("Jobs", stats.jobs || {}, ["active", "paused", "completed", "running"], "status"));
  body.append(...cards("Runs in the last hour", stats.runs || {}, ["succeeded", "failed", "timed_out", "abandoned", "skipped", "running"], "run"));
  const minutes = stats.minutes || [];
  const labels = minutes.map((m) => clock(m.at));
  const box = (title, svg) => h("div", { class: "chart" }, h("h3", null, title), svg);
  body.append(h("h3", null, "Last hour, per minute (UTC)"), h("div", { class: "charts" },
    box("Fires", chart("fires", minutes.map((m) => m.fires), labels)),
    box("Failures", chart("failures", minutes.map((m) => m.failures), labels, { cls: "failures" })),
    box("p99 lateness", chart("lateness", minutes.map((m) => m.p99_lateness_ms ?? null), labels, { kind: "line", unit: " ms" }))));
  body.append(h("p", { class: "muted" }, "Fires: runs started in the minute. Failures: runs that ended failed, timed out or abandoned. ",
    "Lateness: started − scheduled. ", h("a", { href: c.base + "failures" }, "See the failures.")));
}
