// Human forms of durations and instants. Instants show in UTC.

const units = [["d", 86_400_000], ["h", 3_600_000], ["min", 60_000], ["s", 1000], ["ms", 1]];

/** 60000 → "1 min", 90000 → "1 min 30 s", 100 → "100 ms", 0 → "0 ms". */
export function duration(ms) {
  if (ms === null || ms === undefined || ms === "") return "—";
  let rest = Math.round(Math.abs(Number(ms)));
  if (!Number.isFinite(rest)) return "—";
  if (rest === 0) return "0 ms";
  const parts = [];
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) { parts.push(`${n} ${name}`); rest -= n * size; }
  }
  return parts.join(" ");
}

/** "in 3 s", "5 min ago", "now", in the largest whole unit. */
export function relative(instant, now = Date.now()) {
  if (!instant) return "—";
  const diff = Date.parse(instant) - now;
  const abs = Math.abs(diff);
  if (abs < 1000) return "now";
  let text = `${Math.floor(abs / 1000)} s`;
  for (const [name, size] of units.slice(0, 3)) {
    if (abs >= size) { text = `${Math.floor(abs / size)} ${name}`; break; }
  }
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

/** "2026-11-29 15:35:12" (UTC). */
export function when(instant) {
  if (!instant) return "—";
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return String(instant);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "") + " UTC";
}

/** "12:34" of a minute instant (UTC), for chart axes. */
export function clock(instant) {
  const d = new Date(instant);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().slice(11, 16);
}

export function executions(job) {
  return `${job.executions_done ?? 0} / ${job.executions === 0 ? "∞" : job.executions}`;
}

/** The browser's own IANA zone ("Europe/Berlin"), or "UTC" when the browser does not say. */
export function localZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch { return "UTC"; }
}

/** "Sat 2026-12-05 08:00:00 GMT+1" of an instant read in an IANA zone; a zone the browser does not know falls back to UTC. */
export function zoned(instant, zone) {
  if (!instant) return "—";
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return String(instant);
  let parts;
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone || "UTC", weekday: "short", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short",
    }).formatToParts(d);
  } catch { return when(instant); }
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.weekday} ${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}
