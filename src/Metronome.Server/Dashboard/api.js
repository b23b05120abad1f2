// Every call of the REST API. The session is an HttpOnly cookie set by POST /api/session: the page never sees or keeps
// a key. Unsafe methods carry X-Metronome-Csrf: 1 (the server's CSRF check on cookie-authenticated calls).

export class ApiError extends Error {
  constructor(status, problem) {
    const detail = problem && (problem.detail || problem.title);
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || null;
    this.errors = (problem && problem.errors) || {};
  }
  /** The message with every field error, for places that show no form. */
  get full() {
    const fields = Object.entries(this.errors).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`);
    return fields.length ? `${this.message} ${fields.join("; ")}` : this.message;
  }
}

let unauthorized = () => {};
export function onUnauthorized(handler) { unauthorized = handler; }

export async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-Metronome-Csrf"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch("/api" + path, {
    method, headers, credentials: "same-origin", cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const answer = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && path !== "/session") unauthorized();
    throw new ApiError(res.status, answer);
  }
  return answer;
}

const enc = encodeURIComponent;
export const paths = {
  product: (p) => `/products/${enc(p)}`,
  jobs: (p) => `/products/${enc(p)}/jobs`,
  job: (p, tag) => `/products/${enc(p)}/jobs/${enc(tag)}`,
  jobRuns: (p, tag) => `/products/${enc(p)}/jobs/${enc(tag)}/runs`,
  runs: (p) => `/products/${enc(p)}/runs`,
  run: (p, id) => `/products/${enc(p)}/runs/${enc(id)}`,
  stats: (p) => `/products/${enc(p)}/stats`,
  events: (p) => `/products/${enc(p)}/events`,
  event: (p, type, tag) => `/products/${enc(p)}/events/${enc(type)}/${enc(tag)}`,
  secrets: (p) => `/products/${enc(p)}/secrets`,
  secret: (p, name) => `/products/${enc(p)}/secrets/${enc(name)}`,
  schedulePreview: (p) => `/products/${enc(p)}/schedule:preview`,
  audit: (p) => `/products/${enc(p)}/audit`,
};

/** A query string of the given values, leaving out empty ones. */
export function query(values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? "?" + s : "";
}
