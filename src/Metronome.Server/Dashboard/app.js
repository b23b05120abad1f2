// The dashboard's shell: session (sign-in / sign-out), product choice, navigation and a hash router over the views.
import { api, ApiError, onUnauthorized } from "./api.js";
import { $, h, clear, append, fill } from "./dom.js";
import { overview } from "./view-overview.js";
import { jobs, jobDetail } from "./view-jobs.js";
import { jobForm } from "./view-jobform.js";
import { runDetail, failures } from "./view-runs.js";
import { events, eventForm } from "./view-events.js";
import { secrets } from "./view-secrets.js";
import { nodes } from "./view-nodes.js";
import { audit } from "./view-audit.js";

const state = { session: null, timers: [], generation: 0, note: null };

const routes = [
  [/^overview$/, overview],
  [/^jobs$/, jobs],
  [/^jobs\/new$/, (c) => jobForm(c, null)],
  [/^jobs\/([^/]+)\/edit$/, (c, tag) => jobForm(c, tag)],
  [/^jobs\/([^/]+)$/, jobDetail],
  [/^runs\/([^/]+)$/, runDetail],
  [/^failures$/, failures],
  [/^events$/, events],
  [/^events\/new$/, (c) => eventForm(c, null, null)],
  [/^events\/([^/]+)\/([^/]+)$/, eventForm],
  [/^secrets$/, secrets],
  [/^nodes$/, nodes],
  [/^audit$/, audit],
];

function flash(message, kind = "error") {
  const box = clear($("flash"));
  if (message) box.append(h("div", { class: `flash-${kind}` }, message));
}

export function showError(e) { flash(e instanceof ApiError ? e.full : String(e && e.message || e)); }

function stopTimers() { for (const t of state.timers) clearInterval(t); state.timers = []; }

function context(product) {
  const generation = state.generation;
  return {
    product,
    session: state.session,
    view: clear($("view")),
    base: `#/p/${encodeURIComponent(product)}/`,
    // Navigates; note is shown as an info line on the next page (a flash before the hash changes would be cleared).
    go: (hash, note) => {
      state.note = note || null;
      if (location.hash === hash) route(); else location.hash = hash;
    },
    flash,
    showError,
    // True while this view is still the one shown (an answer arriving after navigation is dropped).
    current: () => generation === state.generation,
    every: (ms, fn) => { state.timers.push(setInterval(() => { if (generation === state.generation) fn(); }, ms)); },
  };
}

function renderNav(product) {
  const nav = clear($("nav"));
  nav.hidden = false;
  const here = location.hash;
  const item = (hash, label) => h("a", { href: hash, class: here.startsWith(hash) ? "current" : undefined, "data-nav": label }, label);
  if (state.session.admin) nav.append(item("#/", "Products"));
  if (product) {
    const base = `#/p/${encodeURIComponent(product)}/`;
    append(nav, [item(base + "overview", "Overview"), item(base + "jobs", "Jobs"), item(base + "failures", "Failures"),
      item(base + "events", "Events"), item(base + "secrets", "Secrets"), item(base + "audit", "Audit")]);
  }
  nav.append(item(product ? `#/p/${encodeURIComponent(product)}/nodes` : "#/nodes", "Nodes"));
  $("who").textContent = (state.session.admin ? "admin" : "product key") + (product ? ` · ${product}` : "");
  $("signout").hidden = false;
}

async function route() {
  stopTimers();
  state.generation++;
  flash(state.note, "info");
  state.note = null;
  if (!state.session) return signIn();
  const hash = location.hash.replace(/^#\/?/, "");
  const m = /^p\/([^/]+)\/?(.*)$/.exec(hash);
  let product = m ? decodeURIComponent(m[1]) : null;
  let rest = m ? m[2] : hash;
  if (!state.session.admin) {
    if (product !== state.session.product) { location.replace(`#/p/${encodeURIComponent(state.session.product)}/overview`); return; }
  }
  renderNav(product);
  if (!product && rest !== "nodes") return pickProduct();
  if (rest === "") rest = "overview";
  for (const [pattern, view] of routes) {
    const found = pattern.exec(rest);
    if (found) {
      try { await view(context(product), ...found.slice(1).map(decodeURIComponent)); } catch (e) { showError(e); }
      return;
    }
  }
  append(clear($("view")), h("p", null, "No such page. "), h("a", { href: "#/" }, "Start"));
}

async function pickProduct() {
  const view = clear($("view"));
  view.append(h("h2", null, "Products"));
  const page = await api("GET", "/products").catch((e) => { showError(e); return { items: [] }; });
  const items = page.items || page;
  if (!items.length) { view.append(h("p", { class: "muted" }, "No products yet. Create one with the API or the CLI.")); return; }
  view.append(h("div", { class: "products", id: "products" }, items.map((p) =>
    h("a", { href: `#/p/${encodeURIComponent(p.tag)}/overview`, "data-product": p.tag },
      h("strong", null, p.name || p.tag), h("div", { class: "muted" }, p.tag)))));
}

function signIn(message) {
  stopTimers();
  $("nav").hidden = true;
  $("signout").hidden = true;
  $("who").textContent = "";
  const key = h("input", { id: "key", type: "password", autocomplete: "off", placeholder: "Admin or product key", required: true });
  const error = h("p", { class: "field-error", id: "signin-error", role: "alert" }, message || "");
  const form = h("form", { class: "signin", id: "signin" },
    h("h2", null, "Sign in"),
    h("label", { for: "key" }, "Key"), key, error,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    h("p", { class: "muted" }, "The key is exchanged for a session cookie; the page keeps no key."));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    try {
      state.session = await api("POST", "/session", { key: key.value.trim() });
      key.value = "";
      if (!state.session.admin && !location.hash.startsWith(`#/p/${encodeURIComponent(state.session.product)}/`))
        location.hash = `#/p/${encodeURIComponent(state.session.product)}/overview`;
      await route();
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401 ? "That key is not valid." : (e.message || String(e));
    }
  });
  fill($("view"), form);
  key.focus();
}

async function signOut() {
  try { await api("DELETE", "/session"); } catch (e) { if (!(e instanceof ApiError && e.status === 401)) { showError(e); return; } }
  state.session = null;
  history.replaceState(null, "", "#/");
  signIn("Signed out.");
}

onUnauthorized(() => { if (state.session) { state.session = null; signIn("Your session has ended; sign in again."); } });
$("signout").addEventListener("click", signOut);
window.addEventListener("hashchange", route);

try { state.session = await api("GET", "/session"); } catch { state.session = null; }
await route();
