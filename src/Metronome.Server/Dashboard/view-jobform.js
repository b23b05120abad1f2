// Create or edit a job: every field of SPEC §1, with the API's field errors shown next to the fields.
import { api, paths, ApiError } from "./api.js";
import { h } from "./dom.js";
import { field, input, select, showErrors, clearErrors, number } from "./form.js";
import { scheduleSection } from "./schedule.js";

const EVENT_TYPES = ["action", "notification", "database_action", "function", "messagebroker"];

export async function jobForm(c, tag) {
  const [job, events] = await Promise.all([
    tag ? api("GET", paths.job(c.product, tag)) : Promise.resolve(null),
    api("GET", paths.events(c.product)).catch(() => []),
  ]);
  if (!c.current()) return;
  const eventItems = Array.isArray(events) ? events : events.items || [];
  const j = job || {};
  const retries = j.retries || {};
  const eventOptions = eventItems.map((e) => [`${e.type}/${e.tag}`, `${e.type} / ${e.tag} — ${e.name}`]);
  const onFailure = j.on_failure ? `${j.on_failure.event_type}/${j.on_failure.event_tag}` : "";

  const f = {
    name: input({ value: j.name ?? "", maxlength: 200 }),
    tag: input({ value: j.tag ?? "", disabled: !!job, placeholder: "lower-case, e.g. nightly-report" }),
    event: select([["", "choose an event"], ...eventOptions], job ? `${j.event_type}/${j.event_tag}` : ""),
    executions: input({ value: j.executions ?? 0, inputmode: "numeric" }),
    start_at: input({ value: job ? "" : "", placeholder: job ? "unchanged" : "default: now + interval; or now, or 2026-12-01T08:00:00Z" }),
    end_at: input({ value: j.end_at ?? "", placeholder: "none, or 2026-12-31T23:59:59Z" }),
    input: h("textarea", { rows: 4 }),
    overlap: select(["skip", "queue", "allow"], j.overlap ?? "skip"),
    misfire: select(["fire_once", "skip", "catch_up"], j.misfire ?? "fire_once"),
    max_attempts: input({ value: retries.max_attempts ?? 1, inputmode: "numeric" }),
    backoff_ms: input({ value: retries.backoff_ms ?? "", inputmode: "numeric", placeholder: "server default" }),
    max_backoff_ms: input({ value: retries.max_backoff_ms ?? "", inputmode: "numeric", placeholder: "server default" }),
    timeout_ms: input({ value: j.timeout_ms ?? "", inputmode: "numeric", placeholder: "server default (30000)" }),
    jitter_ms: input({ value: j.jitter_ms ?? "", inputmode: "numeric", placeholder: "0" }),
    catch_up_limit: input({ value: j.catch_up_limit ?? "", inputmode: "numeric", placeholder: "100" }),
    on_failure: select([["", "none"], ...eventOptions], onFailure),
    pause_after_failures: input({ value: j.pause_after_failures ?? "", inputmode: "numeric", placeholder: "0 = never" }),
  };
  f.input.value = JSON.stringify(j.input ?? {}, null, 2);
  // An event type not in the list (e.g. the events call failed) is kept as typed.
  if (job && f.event.value === "") f.event.append(h("option", { value: `${j.event_type}/${j.event_tag}`, selected: true }, `${j.event_type} / ${j.event_tag}`));
  if (onFailure && f.on_failure.value === "") f.on_failure.append(h("option", { value: onFailure, selected: true }, onFailure.replace("/", " / ")));
  const schedule = scheduleSection(c, job, f.start_at);

  const form = h("form", { class: "grid", id: "job-form", novalidate: true },
    h("div", { class: "form-errors wide flash-error-list", role: "alert" }),
    field("name", "Name", f.name),
    field("tag", "Tag", f.tag, job ? "The tag cannot change." : "Unique in the product; used in every URL."),
    field("event_tag", "Event", f.event, h("span", null, "What the job executes. ", h("a", { href: c.base + "events/new" }, "New event"))),
    field("executions", "Executions", f.executions, "0 = unlimited"),
    schedule.section,
    field("start_at", "Start at", f.start_at, "ISO-8601 instant (UTC) or now"),
    field("end_at", "End at", f.end_at, "No execution starts after this instant"),
    field("jitter_ms", "Jitter (ms)", f.jitter_ms, "Each slot starts up to this long after its due time"),
    field("catch_up_limit", "Catch-up limit", f.catch_up_limit, "With misfire catch_up: missed slots run at most"),
    field("timeout_ms", "Timeout (ms)", f.timeout_ms),
    field("overlap", "Overlap", f.overlap, "A slot due while the previous run still runs"),
    field("misfire", "Misfire", f.misfire, "Slots missed while no node ran"),
    field("retries.max_attempts", "Max attempts", f.max_attempts, "Retries of one slot count as one execution"),
    field("retries.backoff_ms", "Backoff (ms)", f.backoff_ms),
    field("retries.max_backoff_ms", "Max backoff (ms)", f.max_backoff_ms),
    field("on_failure", "On failure", f.on_failure, "Event executed once when a slot ends failed, timed out or abandoned"),
    field("pause_after_failures", "Pause after failures", f.pause_after_failures, "Consecutive slots without success; 0 = never"),
    field("input", "Input (JSON object)", f.input, "Handed to the event's templates as {{input.…}}", true),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", id: "save-job" }, job ? "Save" : "Create job"),
      h("a", { class: "button", href: job ? `${c.base}jobs/${encodeURIComponent(j.tag)}` : c.base + "jobs" }, "Cancel")));
  c.view.append(h("h2", null, job ? `Edit ${j.tag}` : "New job"), form);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    let inputJson;
    try { inputJson = JSON.parse(f.input.value.trim() || "{}"); } catch (e) {
      showErrors(form, { input: [`Not valid JSON: ${e.message}`] });
      return;
    }
    const [event_type, ...rest] = f.event.value.split("/");
    const wanted = {
      name: f.name.value, event_type: event_type || undefined, event_tag: rest.join("/") || undefined,
      executions: number(f.executions.value), ...schedule.values(),
      start_at: f.start_at.value.trim() || undefined, end_at: f.end_at.value.trim() || undefined, input: inputJson,
      overlap: f.overlap.value, misfire: f.misfire.value, timeout_ms: number(f.timeout_ms.value),
      jitter_ms: number(f.jitter_ms.value), catch_up_limit: number(f.catch_up_limit.value),
      // "none" on an edit of a job with a hook sends {}: the API's way to remove it.
      on_failure: failureEvent(f.on_failure.value) ?? (j.on_failure ? {} : undefined), pause_after_failures: number(f.pause_after_failures.value),
      retries: { max_attempts: number(f.max_attempts.value), backoff_ms: number(f.backoff_ms.value), max_backoff_ms: number(f.max_backoff_ms.value) },
    };
    if (Object.values(wanted.retries).every((v) => v === undefined)) delete wanted.retries;
    else for (const k of Object.keys(wanted.retries)) if (wanted.retries[k] === undefined) delete wanted.retries[k];
    const body = job ? changes(j, wanted) : { ...wanted, tag: f.tag.value.trim() };
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    const save = form.querySelector("#save-job");
    save.disabled = true;
    try {
      const saved = job ? (Object.keys(body).length ? await api("PATCH", paths.job(c.product, j.tag), body) : j)
        : await api("POST", paths.jobs(c.product), body);
      c.go(`${c.base}jobs/${encodeURIComponent(saved.tag)}`, job ? `Saved ${saved.tag}.` : `Created ${saved.tag}.`);
    } catch (e) {
      if (e instanceof ApiError) showErrors(form, e.errors, Object.keys(e.errors).length ? "Please correct the fields below." : e.message);
      else c.showError(e);
    } finally { save.disabled = false; }
  });
}

/** The fields of an edit that differ from the job as loaded (PATCH sends only those). */
function changes(job, wanted) {
  const body = {};
  const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  for (const [k, v] of Object.entries(wanted)) {
    if (v === undefined) continue;
    if (k === "retries") { if (!same({ ...job.retries, ...v }, job.retries)) body.retries = { ...job.retries, ...v }; continue; }
    if (k === "event_tag" || k === "event_type") { if (wanted.event_tag !== job.event_tag || wanted.event_type !== job.event_type) body[k] = v; continue; }
    if (!same(v, job[k])) body[k] = v;
  }
  return body;
}

/** {event_type, event_tag} of a "type/tag" choice, undefined for none. */
function failureEvent(choice) {
  if (!choice) return undefined;
  const [event_type, ...rest] = choice.split("/");
  return { event_type, event_tag: rest.join("/") };
}
