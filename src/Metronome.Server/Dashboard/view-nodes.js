// Nodes: the members of the cluster (one on SQLite), which one leads, and how fresh each heartbeat is.
import { api } from "./api.js";
import { h, clear, table, td, fill } from "./dom.js";
import { duration, when } from "./format.js";

export async function nodes(c) {
  const body = h("div", { id: "nodes" });
  c.view.append(h("h2", null, "Nodes"), body);
  const load = async () => {
    let answer;
    try { answer = await api("GET", "/cluster/nodes"); } catch (e) { c.showError(e); return; }
    if (!c.current()) return;
    const rows = (answer.nodes || []).map((n) => h("tr", { "data-node": n.id },
      td(n.id), td(n.leader ? h("strong", { class: "leader" }, "leader") : "member"),
      td(n.present === false ? h("span", { class: "run-failed" }, "absent") : h("span", { class: "status-active" }, "present")),
      td(when(n.started_at)), td(when(n.heartbeat_at)), td(duration(n.heartbeat_age_ms), "heartbeat-age")));
    fill(body,
      h("p", null, "Leader: ", h("strong", { id: "leader" }, answer.leader ?? "none")),
      rows.length ? table(["Node", "Role", "Presence", "Started", "Heartbeat", "Heartbeat age"], rows, ["24%", "10%", "11%", "20%", "20%", "15%"])
        : h("p", { class: "muted" }, "No nodes."));
  };
  await load();
  c.every(5000, load);
}
