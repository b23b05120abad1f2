// The schedule part of the job form: every N ms (intervals) or a cron expression read in an IANA time zone. While you
// type, the next five runs are asked of the API (POST /api/products/{p}/schedule:preview, debounced) and shown in the
// chosen zone and in the browser's own; the API's field errors show under the fields they name.
import { api, paths, ApiError } from "./api.js";
import { h, fill, table } from "./dom.js";
import { field, input, select, number } from "./form.js";
import { duration, zoned, localZone } from "./format.js";

/** Offered when the browser cannot list its zones; any other IANA name may be typed (the API checks it). */
const COMMON_ZONES = ["UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
  "Europe/Amsterdam", "Europe/Zurich", "Europe/Madrid", "Europe/Rome", "Europe/Vienna", "Europe/Stockholm",
  "Europe/Warsaw", "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Europe/Moscow", "Africa/Cairo",
  "Africa/Johannesburg", "Africa/Lagos", "Asia/Dubai", "Asia/Kolkata", "Asia/Bangkok", "Asia/Singapore",
  "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Seoul", "Australia/Perth", "Australia/Sydney",
  "Pacific/Auckland", "America/St_Johns", "America/Halifax", "America/New_York", "America/Toronto", "America/Chicago",
  "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
  "America/Mexico_City", "America/Bogota", "America/Sao_Paulo", "America/Argentina/Buenos_Aires"];

const DEBOUNCE_MS = 350;

function zoneNames() {
  let names = COMMON_ZONES;
  try { if (typeof Intl.supportedValuesOf === "function") names = Intl.supportedValuesOf("timeZone"); } catch { /* the short list */ }
  return ["UTC", ...names.filter((z) => z !== "UTC")];
}

/** The given instants as rows: in the job's zone and in the browser's zone. */
export function runsTable(instants, zone, id) {
  const local = localZone();
  const t = table(["#", `In ${zone}`, `Your time (${local})`],
    instants.map((at, i) => [String(i + 1), zoned(at, zone), zoned(at, local)]), ["3rem", "50%", "50%"]);
  if (id) t.id = id;
  t.classList.add("runs-preview");
  return t;
}

/**
 * The schedule fields of the job form, for a new job (job null) or an edit. startAt is the form's start_at input (the
 * preview counts from it when set). Returns the section to append and values(): the schedule fields of the request body.
 */
export function scheduleSection(c, job, startAt) {
  const j = job || {};
  const kind = select([["intervals", "Every N (interval)"], ["cron", "Cron expression"]], j.cron ? "cron" : "intervals");
  const intervals = input({ value: j.intervals || 60000, inputmode: "numeric" });   // a cron job answers intervals 0 or none
  const cron = input({ value: j.cron ?? "", placeholder: "e.g. 0 8 * * 1-5 or @daily", spellcheck: "false" });
  const zone = input({ value: j.time_zone ?? "UTC", list: "time-zones", placeholder: "UTC" });
  const every = h("span", null, duration(intervals.value));
  const fields = {
    intervals: field("intervals", "Interval (ms)", intervals, h("span", null, "Every ", every)),
    cron: field("cron", "Cron expression", cron, "minute hour day month weekday (6 fields: seconds first); L W # @daily"),
    time_zone: field("time_zone", "Time zone", zone, "IANA name the expression is read in"),
  };
  const preview = h("div", { id: "schedule-preview", "aria-live": "polite" });
  const section = h("div", { class: "schedule wide" },
    field("schedule", "Schedule", kind), fields.intervals, fields.cron, fields.time_zone,
    h("datalist", { id: "time-zones" }, zoneNames().map((z) => h("option", { value: z }))),
    h("div", { class: "preview" }, h("div", { class: "preview-title" }, "Next five runs"), preview));

  const isCron = () => kind.value === "cron";
  const shown = () => {
    fields.intervals.hidden = isCron();
    fields.cron.hidden = !isCron();
    fields.time_zone.hidden = !isCron();
  };
  const note = (text) => fill(preview, h("p", { class: "muted" }, text));
  // The preview owns the errors of the fields it sends; a save's errors on other fields stay.
  const own = ["intervals", "cron", "time_zone", "start_at"];
  const fieldOf = (key) => (section.closest("form") || section).querySelector(`.field[data-field="${CSS.escape(key)}"]`);
  const setError = (key, text) => {
    const f = fieldOf(key);
    if (!f || (text && f.hidden)) return false;   // an error of a hidden field is shown in the preview box
    f.classList.toggle("invalid", !!text);
    f.querySelector(".field-error").textContent = text || "";
    return true;
  };

  const values = () => isCron()
    ? { cron: cron.value.trim(), time_zone: zone.value.trim() || "UTC" }
    : { intervals: number(intervals.value) };

  let timer;
  let asked = 0;
  const refresh = async () => {
    const mine = ++asked;
    const body = values();
    if (isCron() && !body.cron) { for (const k of own) setError(k, ""); note("Type a cron expression to see its next five runs."); return; }
    const start = startAt.value.trim();
    if (start) body.start_at = start;
    try {
      const answer = await api("POST", paths.schedulePreview(c.product), body);
      if (mine !== asked || !c.current()) return;
      for (const k of own) setError(k, "");
      const runs = (answer && answer.next_runs) || [];
      fill(preview, runs.length ? runsTable(runs, isCron() ? body.time_zone : "UTC", "preview-runs") : h("p", { class: "muted" }, "No run is due."));
    } catch (e) {
      if (mine !== asked || !c.current()) return;
      for (const k of own) setError(k, "");
      if (!(e instanceof ApiError)) { note(String(e && e.message || e)); return; }
      if (e.status === 404 || e.status === 405) { note("This server cannot preview schedules."); return; }
      const loose = [];
      for (const [key, value] of Object.entries(e.errors)) {
        const text = [].concat(value).join(" ");
        if (!setError(key.replace(/^\$\.?/, ""), text)) loose.push(`${key}: ${text}`);
      }
      note(loose.length ? loose.join("; ") : Object.keys(e.errors).length ? "No preview until the schedule is valid." : e.message);
    }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(refresh, DEBOUNCE_MS); };
  intervals.addEventListener("input", () => { every.textContent = duration(number(intervals.value)); later(); });
  for (const control of [cron, zone, startAt]) control.addEventListener("input", later);
  zone.addEventListener("change", later);
  kind.addEventListener("change", () => { shown(); refresh(); });
  shown();
  refresh();
  return { section, values };
}
