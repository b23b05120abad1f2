// Form fields with a place for the API's field errors (problem+json "errors", keyed by field: "intervals",
// "retries.max_attempts"), shown under the field they name.
import { h, clear } from "./dom.js";

/** A labelled field; key is the API's field name (also the error key), control an input/select/textarea. */
export function field(key, label, control, hint, wide) {
  control.id = control.id || `f-${key.replace(/\./g, "-")}`;
  control.name = key;
  return h("div", { class: `field${wide ? " wide" : ""}`, "data-field": key },
    h("label", { for: control.id }, label), control,
    hint ? h("div", { class: "hint" }, hint) : null,
    h("div", { class: "field-error", role: "alert" }));
}

export function input(attrs) { return h("input", { type: "text", autocomplete: "off", ...attrs }); }

export function select(options, value) {
  const s = h("select", null, options.map((o) => Array.isArray(o) ? h("option", { value: o[0] }, o[1]) : h("option", { value: o }, o)));
  if (value !== undefined && value !== null) s.value = value;
  return s;
}

export function clearErrors(form) {
  form.querySelectorAll(".field").forEach((f) => { f.classList.remove("invalid"); f.querySelector(".field-error").textContent = ""; });
  clear(form.querySelector(".form-errors"));
}

/** Shows each error next to its field; errors naming no field of the form go to the form's top. */
export function showErrors(form, errors, message) {
  clearErrors(form);
  const loose = [];
  for (const [key, value] of Object.entries(errors || {})) {
    const text = [].concat(value).join(" ");
    const name = key.replace(/^\$\.?/, "");
    const f = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`)
      || form.querySelector(`.field[data-field="${CSS.escape(name.split(".")[0])}"]`);
    if (f) { f.classList.add("invalid"); const box = f.querySelector(".field-error"); box.textContent = (box.textContent ? box.textContent + " " : "") + text; }
    else loose.push(`${key}: ${text}`);
  }
  const top = form.querySelector(".form-errors");
  if (message) top.append(h("div", null, message));
  for (const l of loose) top.append(h("div", null, l));
  const first = form.querySelector(".field.invalid input, .field.invalid select, .field.invalid textarea");
  if (first) first.focus();
}

/** A number from a text box, or undefined when blank; NaN stays NaN so the API reports it. */
export function number(value) {
  const t = String(value).trim();
  return t === "" ? undefined : Number(t);
}
