// Run detail (status, output, error, every attempt of the slot, re-run) and the failures of a whole product.
import { api, paths, query } from "./api.js";
import { h, clear, button, fill } from "./dom.js";
import { duration, when } from "./format.js";
import { runTable } from "./view-jobs.js";

const FAILED = "failed,timed_out,abandoned";

export async function runDetail(c, id) {
  const run = await api("GET", paths.run(c.product, id));
  if (!c.current()) return;
  const jobHref = `${c.base}jobs/${encodeURIComponent(run.job_tag)}`;
  const facts = h("dl", { class: "facts", id: "run-facts" });
  const fact = (k, v) => facts.append(h("dt", null, k), h("dd", null, v));
  fact("Status", h("span", { class: `run-${run.status}`, id: "run-status" }, run.status));
  fact("Job", h("a", { href: jobHref }, run.job_tag));
  fact("Slot / attempt", `${run.slot === 0 ? "trigger (0)" : run.slot} / ${run.attempt}`);
  fact("Scheduled", when(run.scheduled_at));
  fact("Started", when(run.started_at));
  fact("Finished", when(run.finished_at));
  fact("Duration", duration(run.duration_ms));
  fact("Node", run.node ?? "—");
  if (run.skipped_count > 1) fact("Skipped slots", String(run.skipped_count));
  const rerun = button("Re-run", async (ev) => {
    ev.currentTarget.disabled = true;
    try {
      const fresh = await api("POST", paths.job(c.product, run.job_tag) + "/trigger");
      if (fresh && fresh.id) c.go(`${c.base}runs/${encodeURIComponent(fresh.id)}`, `Triggered ${run.job_tag}: this is the new run.`);
      else { c.flash(`Triggered ${run.job_tag}.`, "info"); rerun.disabled = false; }
    } catch (e) { c.showError(e); rerun.disabled = false; }
  }, "primary");
  rerun.id = "rerun";
  c.view.append(h("h2", null, `Run ${run.id}`), h("div", { class: "toolbar" }, rerun, h("a", { class: "button", href: jobHref }, "Job")), facts);
  if (run.error) c.view.append(h("h3", null, "Error"), h("pre", { id: "run-error" }, `${run.error.kind}: ${run.error.message}`));
  c.view.append(h("h3", null, "Output"), h("pre", { id: "run-output" },
    run.output === undefined || run.output === null ? "(none)" : JSON.stringify(run.output, null, 2)));
  const attempts = h("div", { id: "run-attempts" });
  c.view.append(h("h3", null, `Every attempt of slot ${run.slot}`), attempts);
  const load = async () => {
    let page;
    try { page = await api("GET", paths.jobRuns(c.product, run.job_tag) + query({ slot: run.slot, limit: 100 })); } catch (e) { c.showError(e); return; }
    if (!c.current()) return;
    // A run record is its latest attempt; the earlier ones it kept (run.attempts) come first, each as its own row.
    const items = page.items.flatMap((r) => [...(r.attempts || []).map((a) => earlier(r, a)), r]).sort((a, b) => a.attempt - b.attempt);
    const last = Math.max(0, ...items.map((r) => r.attempt || 0));
    fill(attempts, runTable(c, items, false), run.slot !== 0 && last > items.length
      ? h("p", { class: "muted" }, `${last} attempts ran for this slot; the record above holds the last one.`) : null);
  };
  await load();
  // A run still in flight changes: look again until it ends.
  if (!run.finished_at) {
    let done = false;
    c.every(2000, async () => {
      if (done) return;
      const now = await api("GET", paths.run(c.product, id)).catch(() => null);
      if (now && now.finished_at && c.current() && !done) { done = true; await runDetail(Object.assign(c, { view: clear(c.view) }), id); }
    });
  }
}

// An earlier attempt shown as a row of its run: the run's id and slot, the attempt's own times, status and error.
function earlier(run, a) {
  const ms = a.started_at && a.finished_at ? Date.parse(a.finished_at) - Date.parse(a.started_at) : null;
  return { id: run.id, job_tag: run.job_tag, slot: run.slot, attempt: a.attempt, status: a.status, started_at: a.started_at,
    finished_at: a.finished_at, duration_ms: ms, error: a.error };
}

export async function failures(c) {
  const cursors = [null];
  const body = h("div", { id: "failures" });
  const pager = h("div", { class: "pager" });
  c.view.append(h("h2", null, "Failures"), h("p", { class: "muted" }, "Runs of every job of the product that ended failed, timed out or abandoned, newest first."), body, pager);
  const load = async () => {
    let page;
    try { page = await api("GET", paths.runs(c.product) + query({ status: FAILED, limit: 50, cursor: cursors[cursors.length - 1] })); }
    catch (e) { c.showError(e); return; }
    if (!c.current()) return;
    fill(body, page.items.length ? runTable(c, page.items, true) : h("p", { class: "muted", id: "no-failures" }, "No failed runs."));
    fill(pager,
      cursors.length > 1 ? button("First page", () => { cursors.length = 1; load(); }) : null,
      page.next_cursor ? button("Next page", () => { cursors.push(page.next_cursor); load(); }) : null);
  };
  await load();
  c.every(10_000, () => { if (cursors.length === 1) load(); });
}
