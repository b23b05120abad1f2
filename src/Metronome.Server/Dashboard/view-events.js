// Events: the product's event definitions, and a form to create or edit one (definition as JSON, by type).
import { api, paths, ApiError } from "./api.js";
import { h, clear, table, td, link, confirmButton } from "./dom.js";
import { field, input, select, showErrors, clearErrors } from "./form.js";
import { when } from "./format.js";

const EXAMPLES = {
  action: { method: "POST", url: "https://example.com/hook", headers: {}, body: { job: "{{job.tag}}", slot: "{{run.slot}}" }, timeout_ms: 5000 },
  notification: { channel: "webhook", url: "https://hooks.example/x", method: "POST", headers: {}, body: { text: "run {{run.id}}" } },
  database_action: { provider: "sqlite", connection: "{{secrets.DB}}", statement: "INSERT INTO ticks(slot) VALUES (@slot)", parameters: { slot: "{{run.slot}}" } },
  function: { language: "javascript", code: "function handler(input, context) { return { slot: context.run.slot }; }", timeout_ms: 1000 },
  messagebroker: { broker: "redis", connection: "{{secrets.REDIS}}", mode: "stream", topic: "orders", message: { slot: "{{run.slot}}" } },
};

export async function events(c) {
  const list = await api("GET", paths.events(c.product));
  if (!c.current()) return;
  const items = Array.isArray(list) ? list : list.items || [];
  const body = h("div", { id: "events" });
  c.view.append(h("h2", null, "Events"),
    h("div", { class: "toolbar" }, h("a", { class: "button", href: c.base + "events/new", id: "new-event" }, "New event")), body);
  const rows = items.map((e) => h("tr", { "data-event": `${e.type}/${e.tag}` },
    td(e.type), td(link(`${c.base}events/${encodeURIComponent(e.type)}/${encodeURIComponent(e.tag)}`, e.tag)), td(e.name),
    td(when(e.updated_at)),
    td(h("div", { class: "actions" }, confirmButton("Delete", "Really delete?", async () => {
      try { await api("DELETE", paths.event(c.product, e.type, e.tag)); c.flash(`Deleted ${e.tag}.`, "info"); await events(Object.assign(c, { view: clear(c.view) })); }
      catch (err) { c.showError(err); }
    })), "col-actions")));
  body.append(rows.length ? table(["Type", "Tag", "Name", "Updated", ""], rows, ["16%", "22%", "30%", "20%", "12%"])
    : h("p", { class: "muted" }, "No events yet: a job needs one."));
}

export async function eventForm(c, type, tag) {
  const ev = tag ? await api("GET", paths.event(c.product, type, tag)) : null;
  if (!c.current()) return;
  const f = {
    type: select(Object.keys(EXAMPLES), ev ? ev.type : "action"),
    tag: input({ value: ev ? ev.tag : "", disabled: !!ev }),
    name: input({ value: ev ? ev.name : "" }),
    definition: h("textarea", { rows: 12 }),
  };
  f.type.disabled = !!ev;
  f.definition.value = JSON.stringify(ev ? ev.definition : EXAMPLES.action, null, 2);
  let touched = false;
  f.definition.addEventListener("input", () => { touched = true; });
  f.type.addEventListener("change", () => { if (!touched) f.definition.value = JSON.stringify(EXAMPLES[f.type.value], null, 2); });
  const form = h("form", { class: "grid", id: "event-form", novalidate: true },
    h("div", { class: "form-errors wide", role: "alert" }),
    field("type", "Type", f.type), field("tag", "Tag", f.tag, ev ? "The tag cannot change." : "Unique per product and type"),
    field("name", "Name", f.name, null, true),
    field("definition", "Definition (JSON)", f.definition, "Strings may use {{input.x}}, {{job.tag}}, {{run.slot}}, {{secrets.NAME}} (see docs/events.md)", true),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", id: "save-event" }, ev ? "Save" : "Create event"),
      h("a", { class: "button", href: c.base + "events" }, "Cancel")));
  c.view.append(h("h2", null, ev ? `Edit event ${ev.type} / ${ev.tag}` : "New event"), form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    let definition;
    try { definition = JSON.parse(f.definition.value); } catch (err) { showErrors(form, { definition: [`Not valid JSON: ${err.message}`] }); return; }
    try {
      if (ev) await api("PATCH", paths.event(c.product, ev.type, ev.tag), { name: f.name.value, definition });
      else await api("POST", paths.events(c.product), { type: f.type.value, tag: f.tag.value.trim(), name: f.name.value, definition });
      c.go(c.base + "events", ev ? `Saved ${ev.tag}.` : `Created ${f.tag.value.trim()}.`);
    } catch (err) {
      if (err instanceof ApiError) showErrors(form, err.errors, Object.keys(err.errors).length ? "Please correct the fields below." : err.message);
      else c.showError(err);
    }
  });
}
