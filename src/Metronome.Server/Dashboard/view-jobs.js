// Jobs: a searchable, filterable, paged list with actions, and one job's detail with its runs.
import { api, paths, query } from "./api.js";
import { h, clear, table, td, link, button, confirmButton, fill } from "./dom.js";
import { duration, relative, when, executions } from "./format.js";
import { runsTable } from "./schedule.js";

const list = { q: "", status: "", cursors: [null] };   // kept while the user moves between pages of the dashboard

/** Pause/Resume, Trigger, Edit, Delete of one job; after(kind, result) runs once an action succeeded. */
export function jobActions(c, job, after) {
  const path = paths.job(c.product, job.tag);
  const act = (label, run, cls) => button(label, async (ev) => {
    const b = ev.currentTarget;
    b.disabled = true;
    try { const result = await run(); await after(label, result); } catch (e) { c.showError(e); } finally { b.disabled = false; }
  }, cls);
  return h("div", { class: "actions" },
    job.status === "active" ? act("Pause", () => api("POST", path + "/pause")) : null,
    job.status === "paused" ? act("Resume", () => api("POST", path + "/resume")) : null,
    act("Trigger", () => api("POST", path + "/trigger")),
    h("a", { class: "button", href: `${c.base}jobs/${encodeURIComponent(job.tag)}/edit` }, "Edit"),
    confirmButton("Delete", "Really delete?", async () => {
      try { await api("DELETE", path); await after("Delete"); } catch (e) { c.showError(e); }
    }));
}

function statusCell(job) {
  return td([h("span", { class: `status-${job.status}` }, job.status), job.running ? h("span", { class: "running", title: "a run is in flight" }, "running") : null]);
}

export async function jobs(c) {
  const search = h("input", { type: "search", id: "job-search", placeholder: "Search tag or name", value: list.q, "aria-label": "Search jobs" });
  const status = h("select", { id: "job-status", "aria-label": "Status" },
    ["", "active", "paused", "completed"].map((s) => h("option", { value: s }, s || "any status")));
  status.value = list.status;
  const body = h("div", { id: "jobs" });
  const pager = h("div", { class: "pager" });
  c.view.append(h("h2", null, "Jobs"),
    h("div", { class: "toolbar" }, search, status, h("a", { class: "button", href: c.base + "jobs/new", id: "new-job" }, "New job")),
    body, pager);

  const load = async () => {
    const cursor = list.cursors[list.cursors.length - 1];
    let page;
    try {
      page = await api("GET", paths.jobs(c.product) + query({ q: list.q, status: list.status, limit: 25, cursor }));
    } catch (e) { c.showError(e); return; }
    if (!c.current()) return;
    const rows = page.items.map((job) => {
      const tr = h("tr", { "data-job": job.tag },
        td(link(`${c.base}jobs/${encodeURIComponent(job.tag)}`, job.tag)), td(job.name), statusCell(job),
        td(job.cron ? h("code", { title: job.time_zone }, job.cron) : duration(job.intervals), "interval"), td(executions(job)),
        td(h("span", { title: when(job.next_run_at) }, relative(job.next_run_at)), "next-run"),
        td(job.last_run_status ? h("span", { class: `run-${job.last_run_status}`, title: when(job.last_run_at) }, job.last_run_status) : "—"),
        td(jobActions(c, job, async (label) => { c.flash(`${label}: ${job.tag}`, "info"); await load(); }), "col-actions"));
      return tr;
    });
    fill(body, rows.length
      ? table(["Tag", "Name", "Status", "Every", "Executions", "Next run", "Last run", ""], rows,
        ["15%", "15%", "9%", "9%", "10%", "9%", "9%", "24%"])
      : h("p", { class: "muted", id: "no-jobs" }, list.q || list.status ? "No job matches." : "No jobs yet."));
    fill(pager,
      list.cursors.length > 1 ? button("First page", () => { list.cursors = [null]; load(); }) : null,
      page.next_cursor ? button("Next page", () => { list.cursors.push(page.next_cursor); load(); }) : null,
      h("span", { class: "muted" }, `page ${list.cursors.length}`));
  };

  let typing;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => { list.q = search.value.trim(); list.cursors = [null]; load(); }, 250);
  });
  status.addEventListener("change", () => { list.status = status.value; list.cursors = [null]; load(); });
  await load();
  c.every(5000, load);
}

export async function jobDetail(c, tag) {
  const job = await api("GET", paths.job(c.product, tag));
  if (!c.current()) return;
  const facts = h("dl", { class: "facts", id: "job-facts" });
  const fact = (k, v) => facts.append(h("dt", null, k), h("dd", null, v));
  fact("Status", h("span", { class: `status-${job.status}`, id: "job-status-value" }, job.status + (job.running ? " (running)" : "")));
  fact("Event", `${job.event_type} / ${job.event_tag}`);
  if (job.cron) fact("Cron", h("span", { id: "job-cron" }, h("code", null, job.cron), ` in ${job.time_zone || "UTC"}`));
  else fact("Every", `${duration(job.intervals)} (${job.intervals} ms)`);
  fact("Executions", executions(job));
  fact("Next run", `${relative(job.next_run_at)} · ${when(job.next_run_at)}`);
  if (job.next_runs) fact("Next five", job.next_runs.length ? runsTable(job.next_runs, job.cron ? job.time_zone || "UTC" : "UTC", "job-next-runs") : "none due");
  if (job.jitter_ms) fact("Jitter", duration(job.jitter_ms));
  if (job.catch_up_limit !== undefined && job.catch_up_limit !== null) fact("Catch-up limit", String(job.catch_up_limit));
  fact("Overlap / misfire", `${job.overlap ?? "skip"} / ${job.misfire ?? "fire_once"}`);
  fact("Retries", job.retries ? `${job.retries.max_attempts ?? 1} attempts, backoff ${duration(job.retries.backoff_ms)}` : "1 attempt");
  fact("Timeout", duration(job.timeout_ms));
  fact("Input", JSON.stringify(job.input ?? {}));
  // A server with failure handling always answers consecutive_failures; on_failure is left out when none.
  const failures = "consecutive_failures" in job || "on_failure" in job;
  if (failures) fact("On failure", job.on_failure ? `${job.on_failure.event_type} / ${job.on_failure.event_tag}` : "—");
  if (failures) {
    fact("Failures", h("span", { id: "job-failures" }, `${job.consecutive_failures ?? 0} consecutive`,
      job.pause_after_failures ? ` · pauses itself after ${job.pause_after_failures}` : " · never pauses itself"));
  }
  if (job.paused_until) fact("Paused until", h("span", { id: "job-paused-until" }, `${when(job.paused_until)} (${relative(job.paused_until)})`));
  const runs = h("div", { id: "job-runs" });
  const again = (label) => c.go(location.hash, `${label}: ${job.tag}`);   // draws the page again, with fresh timers
  c.view.append(h("h2", null, `${job.name} `, h("span", { class: "muted" }, job.tag)),
    h("div", { class: "toolbar" }, jobActions(c, job, async (label, result) => {
      if (label === "Delete") { c.go(c.base + "jobs", `Deleted ${job.tag}.`); return; }
      if (label === "Trigger" && result && result.id) { c.go(`${c.base}runs/${encodeURIComponent(result.id)}`, `Triggered ${job.tag}: this is its run.`); return; }
      again(label);
    }), job.status === "completed" ? null : pauseUntil(c, job, again)),
    facts, h("h3", null, "Runs (newest first)"), runs);
  const load = async () => {
    let page;
    try { page = await api("GET", paths.jobRuns(c.product, tag) + "?limit=50"); } catch (e) { c.showError(e); return; }
    if (!c.current()) return;
    fill(runs, runTable(c, page.items, false));
  };
  await load();
  c.every(5000, load);
}

/** A datetime input (the browser's local time) and a button: POST .../pause {until}; the job resumes by itself then. */
function pauseUntil(c, job, after) {
  const until = h("input", { type: "datetime-local", id: "pause-until", "aria-label": "Pause until (your local time)", title: "Your local time", step: 60 });
  const go = button("Pause until", async (ev) => {
    const b = ev.currentTarget;
    if (!until.value) { c.flash("Choose when the job should resume by itself."); until.focus(); return; }
    const at = new Date(until.value);   // a datetime-local value is read in the browser's zone
    if (Number.isNaN(at.getTime())) { c.flash("That is not a date and time."); return; }
    b.disabled = true;
    try { await api("POST", paths.job(c.product, job.tag) + "/pause", { until: at.toISOString() }); await after("Paused until " + when(at.toISOString())); }
    catch (e) { c.showError(e); } finally { b.disabled = false; }
  });
  go.id = "pause-until-button";
  return h("span", { class: "pause-until" }, until, go);
}

/** Runs as rows linking to their detail; withJob adds the job's tag column (the failures view). */
export function runTable(c, items, withJob) {
  if (!items.length) return h("p", { class: "muted" }, "No runs.");
  const rows = items.map((run) => {
    const slot = run.slot === 0 ? "trigger" : run.skipped_count > 1 ? `${run.slot}–${run.slot + run.skipped_count - 1}` : String(run.slot);
    return h("tr", { "data-run": run.id },
      withJob ? td(link(`${c.base}jobs/${encodeURIComponent(run.job_tag)}`, run.job_tag)) : null,
      td(link(`${c.base}runs/${encodeURIComponent(run.id)}`, slot)), td(String(run.attempt ?? "")),
      td(h("span", { class: `run-${run.status}` }, run.status)), td(when(run.finished_at || run.started_at || run.scheduled_at)),
      td(duration(run.duration_ms)), td(run.error ? `${run.error.kind}: ${run.error.message}` : ""));
  });
  const headers = ["Slot", "Attempt", "Status", "When", "Duration", "Error"];
  const widths = ["8%", "7%", "10%", "17%", "10%", "48%"];
  return withJob ? table(["Job", ...headers], rows, ["14%", "7%", "8%", "10%", "19%", "9%", "33%"]) : table(headers, rows, widths);
}
