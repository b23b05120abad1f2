// Small inline-SVG charts of per-minute series (no chart library). Built with createElementNS and attributes only.
const NS = "http://www.w3.org/2000/svg";
const W = 360, H = 150, LEFT = 44, BOTTOM = 18, TOP = 8, RIGHT = 6;

/** A short axis label: counts as they are, milliseconds as ms, s or min (one decimal at most). */
function short(v, unit) {
  if (unit !== " ms") return String(v);
  const one = (x) => String(Math.round(x * 10) / 10);
  return v >= 60_000 ? `${one(v / 60_000)} min` : v >= 1000 ? `${one(v / 1000)} s` : `${v} ms`;
}

function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = String(text);
  return el;
}

function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function frame(root, max, labels, unit) {
  const plotH = H - TOP - BOTTOM;
  root.append(svg("line", { class: "axis", x1: LEFT, y1: TOP + plotH, x2: W - RIGHT, y2: TOP + plotH }));
  root.append(svg("line", { class: "axis", x1: LEFT, y1: TOP, x2: LEFT, y2: TOP + plotH }));
  root.append(svg("text", { x: LEFT - 4, y: TOP + 9, "text-anchor": "end" }, short(max, unit)));
  root.append(svg("text", { x: LEFT - 4, y: TOP + plotH, "text-anchor": "end" }, "0"));
  if (labels.length) {
    root.append(svg("text", { x: LEFT, y: H - 4 }, labels[0]));
    root.append(svg("text", { x: W - RIGHT, y: H - 4, "text-anchor": "end" }, labels[labels.length - 1]));
  }
  return plotH;
}

/**
 * A bar per value (one per minute). kind "bar" or "line" (a line with gaps where a value is null).
 * The svg carries data-series and data-total so that tests and screen readers can tell what it shows.
 */
export function chart(series, values, labels, { kind = "bar", unit = "", cls = "" } = {}) {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "data-series": series });
  const known = values.filter((v) => v !== null && v !== undefined);
  const max = niceMax(Math.max(0, ...known));
  root.setAttribute("data-total", String(known.reduce((a, b) => a + b, 0)));
  root.setAttribute("aria-label", `${series}: ${known.length ? Math.max(...known) : 0}${unit} at most per minute`);
  const plotH = frame(root, max, labels, unit);
  const step = (W - LEFT - RIGHT) / Math.max(1, values.length);
  const y = (v) => TOP + plotH - (v / max) * plotH;
  if (kind === "bar") {
    values.forEach((v, i) => {
      if (!v) return;
      const bar = svg("rect", { class: `bar ${cls}`, x: LEFT + i * step + step * 0.1, y: y(v), width: Math.max(1, step * 0.8), height: TOP + plotH - y(v) });
      bar.append(svg("title", null, `${labels[i]}: ${v}${unit}`));
      root.append(bar);
    });
  } else {
    let path = "", pen = false;
    values.forEach((v, i) => {
      if (v === null || v === undefined) { pen = false; return; }
      const x = (LEFT + i * step + step / 2).toFixed(1), yy = y(v).toFixed(1);
      path += `${pen ? "L" : "M"}${x},${yy}`;
      pen = true;
      const dot = svg("circle", { class: "dot", cx: x, cy: yy, r: 2 });
      dot.append(svg("title", null, `${labels[i]}: ${v}${unit}`));
      root.append(dot);
    });
    if (path) root.append(svg("path", { class: "line", d: path }));
  }
  return root;
}
