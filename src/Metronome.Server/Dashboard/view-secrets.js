// Secrets: names and when each was last set. Values are write-only: the API never returns one and the page never shows one.
import { api, paths, ApiError } from "./api.js";
import { h, clear, table, td, confirmButton, fill } from "./dom.js";
import { field, input, showErrors, clearErrors } from "./form.js";
import { when } from "./format.js";

export async function secrets(c) {
  const list = h("div", { id: "secrets" });
  const name = input({ placeholder: "e.g. BILLING_TOKEN" });
  const value = h("input", { type: "password", autocomplete: "new-password", placeholder: "value (never shown again)" });
  const form = h("form", { class: "grid", id: "secret-form", novalidate: true },
    h("div", { class: "form-errors wide", role: "alert" }),
    field("name", "Name", name, "Used in events as {{secrets.NAME}}"), field("value", "Value", value, "Write-only: replaces the stored value"),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", id: "save-secret" }, "Set secret")));
  c.view.append(h("h2", null, "Secrets"), list, h("h3", null, "Set a secret"), form);

  const load = async () => {
    let items;
    try { items = await api("GET", paths.secrets(c.product)); } catch (e) { c.showError(e); return; }
    if (!c.current()) return;
    items = Array.isArray(items) ? items : items.items || [];
    const rows = items.map((s) => h("tr", { "data-secret": s.name }, td(s.name), td(when(s.updated_at)),
      td(h("div", { class: "actions" },
        h("button", { type: "button", onclick: () => { name.value = s.name; value.focus(); } }, "Replace value"),
        confirmButton("Delete", "Really delete?", async () => {
          try { await api("DELETE", paths.secret(c.product, s.name)); c.flash(`Deleted ${s.name}.`, "info"); }
          catch (e) {
            if (e instanceof ApiError && e.status === 405) c.flash("This server cannot delete secrets (it has no DELETE …/secrets/{name}); set a new value instead.");
            else c.showError(e);
          }
          await load();
        })), "col-actions")));
    fill(list, rows.length ? table(["Name", "Updated", ""], rows, ["40%", "30%", "30%"]) : h("p", { class: "muted" }, "No secrets yet."));
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const n = name.value.trim();
    if (!n) { showErrors(form, { name: ["A name is required."] }); return; }
    try {
      await api("PUT", paths.secret(c.product, n), { value: value.value });
      value.value = "";
      c.flash(`Secret ${n} set.`, "info");
      await load();
    } catch (err) {
      if (err instanceof ApiError) showErrors(form, err.errors, err.message); else c.showError(err);
    }
  });
  await load();
}
