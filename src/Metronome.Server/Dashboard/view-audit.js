// The product's audit log (GET /api/products/{p}/audit), newest first: who changed what, with every changed field as
// old → new. Paged with the API's cursor; the action filter narrows the page shown (client-side, no call).
import { api, paths, query } from "./api.js";
import { h, table, button, fill } from "./dom.js";
import { when, relative } from "./format.js";

const PAGE = 50;

/** A value of a change as text: strings as they are, null/absent as "—", anything else as JSON. */
function shown(value) {
  if (value === undefined || value === null) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** field: old → new, one line per changed field. */
export function changeList(changes) {
  const entries = Object.entries(changes || {});
  if (!entries.length) return h("span", { class: "muted" }, "—");
  return h("ul", { class: "audit-changes" }, entries.map(([name, change]) => {
    const c = change && typeof change === "object" && ("old" in change || "new" in change) ? change : { new: change };
    return h("li", { "data-change": name }, h("span", { class: "field-name" }, name), ": ",
      h("span", { class: "old" }, shown(c.old)), " → ", h("span", { class: "new" }, shown(c.new)));
  }));
}

export async function audit(c) {
  const filter = h("input", { type: "search", id: "audit-filter", placeholder: "Filter by action, e.g. job.update", "aria-label": "Filter by action" });
  const body = h("div", { id: "audit" });
  const pager = h("div", { class: "pager" });
  c.view.append(h("h2", null, "Audit log"),
    h("div", { class: "toolbar" }, filter, h("span", { class: "muted" }, "Every change to jobs, events, secrets and keys, newest first.")),
    body, pager);

  const cursors = [null];
  let items = [];
  const draw = () => {
    const wanted = filter.value.trim().toLowerCase();
    const rows = items.filter((e) => !wanted || String(e.action).toLowerCase().includes(wanted)).map((e) =>
      h("tr", { "data-action": e.action, "data-target": e.target },
        h("td", null, h("span", { title: e.at }, when(e.at)), h("div", { class: "muted" }, relative(e.at))),
        h("td", null, e.actor), h("td", { class: "action" }, e.action), h("td", { class: "target" }, e.target),
        h("td", { class: "changes" }, changeList(e.changes), e.reason ? h("div", { class: "audit-reason" }, e.reason) : null)));
    fill(body, rows.length
      ? table(["At", "Actor", "Action", "Target", "Changes"], rows, ["14%", "19%", "10%", "14%", "43%"])
      : h("p", { class: "muted", id: "no-audit" }, items.length ? "No entry on this page matches." : "Nothing recorded yet."));
  };
  const load = async () => {
    let page;
    try { page = await api("GET", paths.audit(c.product) + query({ limit: PAGE, cursor: cursors[cursors.length - 1] })); }
    catch (e) { c.showError(e); return; }
    if (!c.current()) return;
    items = page.items || [];
    draw();
    fill(pager,
      cursors.length > 1 ? button("First page", () => { cursors.length = 1; load(); }) : null,
      page.next_cursor ? button("Older", () => { cursors.push(page.next_cursor); load(); }) : null,
      h("span", { class: "muted" }, `page ${cursors.length}`));
  };
  filter.addEventListener("input", draw);
  await load();
}
