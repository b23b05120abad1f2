// Builds DOM nodes. Text is always added as text nodes (append of a string, textContent): never parsed as HTML markup,
// so names, errors and outputs written by anyone render as text.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value" || k === "checked" || k === "disabled" || k === "hidden") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export const $ = (id) => document.getElementById(id);

export function clear(el) { el.replaceChildren(); return el; }

/** Replaces the children of el (null, undefined and false children are left out, as in h). */
export function fill(el, ...children) { el.replaceChildren(); return append(el, children); }

/** A table with a header row; rows are arrays of cells (nodes or text) or ready <tr> elements; widths are CSS widths per column. */
export function table(headers, rows, widths) {
  // Widths are set through the CSSOM (allowed by the CSP's style-src 'self'), never as style attributes in markup.
  const colgroup = widths ? h("colgroup", null, widths.map((w) => { const col = h("col"); col.style.width = w; return col; })) : null;
  return h("table", null, colgroup, h("thead", null, h("tr", null, headers.map((x) => h("th", null, x)))),
    h("tbody", null, rows.map((r) => r instanceof Node ? r : h("tr", null, r.map((c) => c instanceof Node && c.tagName === "TD" ? c : h("td", null, c))))));
}

export function td(content, cls) { return h("td", { class: cls }, content); }

export function link(href, text) { return h("a", { href }, text); }

export function button(label, onclick, cls) { return h("button", { type: "button", class: cls, onclick }, label); }

/** A button that asks once more before it acts (no native confirm dialog). */
export function confirmButton(label, question, act) {
  const b = h("button", { type: "button", class: "danger" }, label);
  let armed = false;
  b.addEventListener("click", async () => {
    if (!armed) { armed = true; b.textContent = question; return; }
    b.disabled = true;
    await act();
  });
  return b;
}
