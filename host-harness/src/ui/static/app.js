// host-harness ui: the page. Plain JavaScript, no build step. The settings
// form is built from the component's `describe` alone (its config JSON
// Schema with x-ui hints, and its catalog); nothing here knows a template.
"use strict";

const TOKEN = document.querySelector('meta[name="ui-token"]').content;
const $ = (id) => document.getElementById(id);

const state = {
  schema: null,     // describe's config_schema
  catalog: null,    // describe's catalog
  widgets: [],      // the top-level settings, in order: {key, get, set}
  records: [],      // [{index, record}] as the host's input reader read them
  fields: [],       // the loaded records' field names
  mock: true,
  configPath: null,
  seq: 0,           // the newest sample request; older answers are dropped
};

// --- talking to the server ------------------------------------------------

async function api(path, body) {
  const opts = { headers: { "x-ui-token": TOKEN } };
  if (body !== undefined) {
    opts.method = "POST";
    opts.headers["content-type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  const v = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok || v.error) throw new Error(v.error || `HTTP ${r.status}`);
  return v;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

const pretty = (v) => JSON.stringify(v, null, 2);

// --- the form, from the schema ---------------------------------------------

// A widget renders one schema node at a dotted path and reads it back:
// get() returns undefined when nothing is set, so the key is left out.
function widgetFor(path, node) {
  if (Array.isArray(node.oneOf)) {
    return node.oneOf.every((o) => "const" in o) ? choiceWidget(path, node) : alternativesWidget(path, node);
  }
  switch (node.type) {
    case "boolean": return checkboxWidget(path, node);
    case "integer": case "number": return numberWidget(path, node);
    case "array": return listWidget(path, node);
    case "object":
      return node.properties ? groupWidget(path, node) : mapWidget(path, node);
    default: return textWidget(path, node);
  }
}

function fieldBox(path, node, control) {
  const key = path.split(".")[0];
  const help = [node.description, path === key ? (state.schema["x-ui"]?.help || {})[key] : null]
    .filter(Boolean).join(" ");
  return el("div", { class: "field", "data-key": path },
    el("label", { for: `f-${path}`, text: node.title || path }),
    control,
    help ? el("small", { class: "help", text: help }) : null,
    el("div", { class: "error", "data-error-for": path, role: "alert" }));
}

function choiceWidget(path, node) {
  const select = el("select", { id: `f-${path}`, name: path });
  const unset = node.default !== undefined ? `(default: ${node.default})` : "(not set)";
  select.append(el("option", { value: "", text: unset }));
  for (const o of node.oneOf) {
    select.append(el("option", { value: o.const, text: o.title ? `${o.title} (${o.const})` : o.const }));
  }
  return {
    box: fieldBox(path, node, select), input: select,
    get: () => (select.value === "" ? undefined : node.oneOf.find((o) => String(o.const) === select.value).const),
    set: (v) => { select.value = v === undefined ? "" : String(v); select.dispatchEvent(new Event("change")); },
  };
}

function checkboxWidget(path, node) {
  const box = el("input", { type: "checkbox", id: `f-${path}`, name: path });
  return {
    box: fieldBox(path, node, box), input: box,
    get: () => (box.checked ? true : undefined),
    set: (v) => { box.checked = v === true; },
  };
}

function numberWidget(path, node) {
  const input = el("input", { type: "number", id: `f-${path}`, name: path, min: node.minimum, max: node.maximum,
    placeholder: node.default !== undefined ? `default ${node.default}` : null });
  return {
    box: fieldBox(path, node, input), input,
    get: () => (input.value === "" ? undefined : Number(input.value)),
    set: (v) => { input.value = v === undefined ? "" : String(v); },
  };
}

function textWidget(path, node) {
  const input = el("input", { type: "text", id: `f-${path}`, name: path, spellcheck: "false",
    placeholder: (node.examples || [])[0] || (node.default !== undefined ? `default ${node.default}` : null) });
  return {
    box: fieldBox(path, node, input), input,
    get: () => (input.value.trim() === "" ? undefined : input.value),
    set: (v) => { input.value = v === undefined ? "" : String(v); },
  };
}

// An array of strings: the loaded records' field names as checkboxes, and
// a text box for names not in them.
function listWidget(path, node) {
  const picks = el("div", { class: "picks", id: `f-${path}` });
  const other = el("input", { type: "text", name: `${path}-other`, placeholder: "other names, comma-separated" });
  let chosen = new Set();
  const draw = () => {
    picks.replaceChildren();
    const names = [...new Set([...state.fields, ...chosen])];
    if (!names.length) picks.append(el("span", { class: "hint", text: "load records to pick from their fields" }));
    for (const name of names) {
      const cb = el("input", { type: "checkbox", value: name, name: path, checked: chosen.has(name) });
      cb.addEventListener("change", () => { cb.checked ? chosen.add(name) : chosen.delete(name); });
      picks.append(el("label", { class: "pick" }, cb, " " + name));
    }
  };
  draw();
  state.onFields.push(draw);
  const box = fieldBox(path, node, el("div", {}, picks, other));
  return {
    box, input: other,
    get: () => {
      const all = [...chosen, ...other.value.split(",").map((s) => s.trim()).filter(Boolean)];
      return all.length ? [...new Set(all)] : undefined;
    },
    set: (v) => { chosen = new Set(v || []); other.value = ""; draw(); },
  };
}

// An object of name -> value rows (rename, defaults): names offered from
// the loaded records, values from the chosen template's fields.
function mapWidget(path, node) {
  const rows = el("div", { class: "rows", id: `f-${path}` });
  const add = el("button", { type: "button", class: "small", text: "+ add" });
  const valueIsName = node.additionalProperties?.type === "string";
  const addRow = (k = "", v = "") => {
    const name = el("input", { type: "text", class: "map-key", list: "dl-record-fields", placeholder: "name", value: k });
    const value = el("input", { type: "text", class: "map-value", placeholder: valueIsName ? "Ashby field" : "value (JSON or text)",
      list: valueIsName ? "dl-template-fields" : null, value: typeof v === "string" ? v : JSON.stringify(v) });
    const del = el("button", { type: "button", class: "small", text: "×", "aria-label": "remove" });
    const row = el("div", { class: "map-row" }, name, " → ", value, del);
    del.addEventListener("click", () => { row.remove(); scheduleSample(); });
    rows.append(row);
  };
  add.addEventListener("click", () => addRow());
  const read = (row) => {
    const k = row.querySelector(".map-key").value.trim();
    const raw = row.querySelector(".map-value").value;
    return [k, valueIsName ? raw.trim() : typedValue(k, raw)];
  };
  return {
    box: fieldBox(path, node, el("div", {}, rows, add)), input: rows,
    get: () => {
      const pairs = [...rows.children].map(read).filter(([k, v]) => k !== "" && v !== "");
      return pairs.length ? Object.fromEntries(pairs) : undefined;
    },
    set: (v) => { rows.replaceChildren(); for (const [k, x] of Object.entries(v || {})) addRow(k, x); },
  };
}

// A default's value: text for a field the catalog says is a string, else
// JSON when it parses (numbers, booleans, arrays), else text.
function typedValue(name, raw) {
  const field = templateEntry()?.fields.find((f) => f.name === name);
  if (field && field.schema.type === "string") return raw;
  try { return JSON.parse(raw); } catch { return raw; }
}

// An object with properties (batch): its properties as nested widgets.
function groupWidget(path, node) {
  const inner = Object.entries(node.properties).map(([k, sub]) => widgetFor(`${path}.${k}`, sub));
  const set = el("fieldset", { class: "nested", id: `f-${path}` }, ...inner.map((w) => w.box));
  return {
    box: fieldBox(path, node, set), input: set,
    get: () => {
      const entries = inner.map((w, i) => [Object.keys(node.properties)[i], w.get()]).filter(([, v]) => v !== undefined);
      return entries.length ? Object.fromEntries(entries) : undefined;
    },
    set: (v) => inner.forEach((w, i) => w.set((v || {})[Object.keys(node.properties)[i]])),
  };
}

// A choice between a constant and an object (batch grouping).
function alternativesWidget(path, node) {
  const select = el("select", { id: `f-${path}`, name: path });
  select.append(el("option", { value: "", text: "(not set)" }));
  node.oneOf.forEach((o, i) => select.append(el("option", { value: String(i), text: o.title || o.const || `option ${i + 1}` })));
  const detail = el("div", { class: "nested" });
  let inner = null;
  const draw = () => {
    detail.replaceChildren();
    const alt = node.oneOf[Number(select.value)];
    inner = alt && alt.properties ? widgetFor(path, { ...alt, title: undefined, description: undefined }) : null;
    if (inner) detail.append(...inner.box.querySelector("fieldset").children);
  };
  select.addEventListener("change", draw);
  return {
    box: fieldBox(path, node, el("div", {}, select, detail)), input: select,
    get: () => {
      const alt = node.oneOf[Number(select.value)];
      if (select.value === "" || !alt) return undefined;
      return "const" in alt ? alt.const : inner?.get();
    },
    set: (v) => {
      const i = v === undefined ? -1 : node.oneOf.findIndex((o) => ("const" in o ? o.const === v : typeof v === "object"));
      select.value = i < 0 ? "" : String(i);
      draw();
      if (inner && typeof v === "object") inner.set(v);
    },
  };
}

function renderForm() {
  const form = $("settings");
  const props = state.schema.properties;
  const ui = state.schema["x-ui"] || {};
  const order = ui.order || Object.keys(props);
  const groups = ui.groups || [{ id: "all", title: "Settings", keys: order }];
  const grouped = new Set(groups.flatMap((g) => g.keys));
  const rest = order.filter((k) => !grouped.has(k) && props[k]);
  if (rest.length) groups.push({ id: "other", title: "Other", keys: rest });
  state.widgets = [];
  for (const g of groups) {
    const fs = el("fieldset", { id: `group-${g.id}` }, el("legend", { text: g.title }));
    for (const key of g.keys.filter((k) => props[k])) {
      const w = widgetFor(key, props[key]);
      w.key = key;
      state.widgets.push(w);
      fs.append(w.box);
      if (key === "template") fs.append(el("div", { id: "template-info" }));
    }
    if (g === groups[0] && ui.credential) fs.append(credentialNote(ui.credential));
    form.append(fs);
  }
  form.append(el("datalist", { id: "dl-record-fields" }), el("datalist", { id: "dl-template-fields" }));
  form.addEventListener("input", () => scheduleSample());
  form.addEventListener("change", () => scheduleSample());
  const template = state.widgets.find((w) => w.key === "template");
  if (template) template.input.addEventListener("change", () => { showTemplate(); rereadCsv(); });
}

// The credential is the host's: the page says so and never holds it.
function credentialNote(c) {
  const where = state.mock ? "the embedded mock's own key" : "ASHBY_API_KEY, read by host-harness";
  return el("div", { class: "field", id: "credential" },
    el("label", { text: c.title || "Credential" }),
    el("p", { class: "hint", text: `Held by the host (${where}); it never reaches this page. ${c.help || ""}` }));
}

// Keys of the --config file the schema does not have: left out of the
// form, and said so.
function unknownKeys(config) {
  const props = state.schema.properties;
  const left = Object.keys(config || {}).filter((k) => !props[k]);
  if (!left.length) return;
  $("config-note").textContent = `Keys of the config file that are not settings of this component, left out: ${left.join(", ")}.`;
  $("config-note").hidden = false;
}

function readConfig() {
  const config = {};
  for (const w of state.widgets) {
    const v = w.get();
    if (v !== undefined) config[w.key] = v;
  }
  return config;
}

function templateEntry() {
  const id = state.widgets.find((w) => w.key === "template")?.get();
  return (state.catalog.templates || []).find((t) => t.id === id);
}

// --- the chosen template's instructions, from the catalog -------------------

function typeText(schema) {
  if (schema.enum) return schema.enum.join(" | ");
  if (schema.anyOf) return schema.anyOf.map(typeText).join(" or ");
  if (schema.type === "array") return `array of ${typeText(schema.items || {})}`;
  return [schema.type || "any", schema.format].filter(Boolean).join(", ");
}

function showTemplate() {
  const box = $("template-info");
  const t = templateEntry();
  box.replaceChildren();
  $("dl-template-fields").replaceChildren(...(t ? t.fields.map((f) => el("option", { value: f.name })) : []));
  if (!t) return;
  box.append(el("p", { text: t.description }));
  if (t.notes?.length) box.append(el("ul", { class: "notes" }, ...t.notes.map((n) => el("li", { text: n }))));
  const steps = t.steps.map((s) => el("li", {},
    el("code", { text: s.endpoint }), ` (${s.permission}) `,
    s.runs === "always" ? "always" : `when the record has ${s.runs.when_any.join(", ")}`));
  box.append(el("p", { text: `Calls, in order; needs ${t.permissions.join(", ")}:` }), el("ol", {}, ...steps));
  const rows = t.fields.map((f) => el("tr", { "data-field": f.name },
    el("td", {}, el("code", { text: f.name })), el("td", { text: typeText(f.schema) }),
    el("td", { text: f.required ? "yes" : "" }), el("td", { text: f.aliases.join(", ") })));
  box.append(el("table", { id: "template-fields", class: "fields" },
    el("thead", {}, el("tr", {}, ...["field", "type", "required", "also accepted as"].map((h) => el("th", { text: h })))),
    el("tbody", {}, ...rows)));
}

// --- records -----------------------------------------------------------------

function setRecords(result, source) {
  state.records = result.records;
  const names = new Set();
  for (const r of state.records) for (const k of Object.keys(r.record || {})) names.add(k);
  state.fields = [...names];
  $("dl-record-fields").replaceChildren(...state.fields.map((f) => el("option", { value: f })));
  state.onFields.forEach((f) => f());
  const bad = result.bad || [];
  const n = state.records.length;
  $("records-status").textContent = `${n} record${n === 1 ? "" : "s"} from ${source}` +
    (bad.length ? `; ${bad.length} unusable (they would be dead-lettered):` : ".");
  $("records-bad").replaceChildren(...bad.map((b) => el("li", { class: "error", text: `#${b.index} ${b.code}: ${b.reason}` })));
  const dl = $("download-records");
  dl.href = "data:application/x-ndjson;charset=utf-8," +
    encodeURIComponent(state.records.map((r) => JSON.stringify(r.record)).join("\n") + "\n");
  dl.hidden = !state.records.length;
  fillTestPicker();
  scheduleSample();
}

// Reads records through the host's input reader; `text` undefined reads
// the --input file again. CSV cells are typed by the chosen template, so a
// CSV source is read again when the template changes.
async function loadText(text, name, source) {
  try {
    const result = await api("/api/records", { text, name, config: readConfig() });
    if (result.error) throw new Error(result.error);
    state.source = result.csv ? { text, name, label: source } : null;
    setRecords(result, source);
  } catch (e) {
    $("records-status").textContent = `Cannot read the records: ${e.message}`;
  }
}

function rereadCsv() {
  const s = state.source;
  if (s) loadText(s.text, s.name, s.label);
}

function wireRecords() {
  $("load-paste").addEventListener("click", () => loadText($("paste").value, null, "the pasted text"));
  $("file").addEventListener("change", async (ev) => {
    const f = ev.target.files[0];
    if (f) loadText(await f.text(), f.name, f.name);
  });
  const pane = $("records-pane");
  pane.addEventListener("dragover", (ev) => { ev.preventDefault(); pane.classList.add("drop"); });
  pane.addEventListener("dragleave", () => pane.classList.remove("drop"));
  pane.addEventListener("drop", async (ev) => {
    ev.preventDefault();
    pane.classList.remove("drop");
    const f = ev.dataTransfer.files[0];
    if (f) loadText(await f.text(), f.name, f.name);
  });
}

// --- the Sample Payload panel -----------------------------------------------

function showErrors(refused) {
  document.querySelectorAll("[data-error-for]").forEach((e) => { e.textContent = ""; });
  document.querySelectorAll(".field.refused").forEach((e) => e.classList.remove("refused"));
  const general = $("config-error");
  general.hidden = true;
  if (!refused) return;
  const spot = document.querySelector(`[data-error-for="${CSS.escape(refused.key || "")}"]`) ||
    document.querySelector(`[data-error-for="${CSS.escape(refused.setting || "")}"]`);
  if (spot) {
    spot.textContent = refused.message;
    spot.closest(".field").classList.add("refused");
  } else {
    general.textContent = refused.message;
    general.hidden = false;
  }
}

function requestView(r) {
  const headers = Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`).join("\n");
  return el("div", { class: "request" },
    el("div", { class: "line" }, el("strong", { text: r.method }), " ", el("code", { class: "url", text: r.url })),
    el("pre", { class: "headers", text: headers }),
    el("pre", { class: "body", text: pretty(r.body) }));
}

function problemView(p) {
  const field = p.field ? ` \`${p.field}\`` : "";
  return el("li", { class: p.severity, text: `${p.severity} ${p.code}${field}: ${p.message}` });
}

function renderSample(result, records) {
  const box = $("sample");
  box.replaceChildren();
  const s = result.summary;
  $("sample-status").textContent = `${s.method} ${s.endpoint}` + (s.permission ? ` · needs ${s.permission}` : "") +
    (s.template ? ` · template ${s.template}` : " · manual mode");
  if (s.warnings.length) box.append(el("ul", { class: "problems" }, ...s.warnings.map((w) => el("li", { class: "warning", text: w }))));
  if (!records.length) box.append(el("p", { class: "hint", text: "Load records to see their requests." }));
  for (const rec of records) {
    const mine = result.requests.filter((r) => r.records[0] === rec.index);
    const problems = result.problems.filter((p) => p.index === rec.index);
    const card = el("article", { class: "sample", "data-index": rec.index },
      el("h3", { text: `Record #${rec.index}` + (mine.length > 1 ? ` · ${mine.length} calls` : "") }));
    mine.forEach((r) => card.append(requestView(r)));
    if (!mine.length && !result.requests.some((r) => r.records.includes(rec.index)) && !problems.length) {
      card.append(el("p", { class: "hint", text: "no request" }));
    }
    if (problems.length) card.append(el("ul", { class: "problems" }, ...problems.map(problemView)));
    box.append(card);
  }
}

async function updateSample() {
  const seq = ++state.seq;
  const limit = Number($("sample-limit").value);
  const records = state.records.slice(0, limit);
  const config = readConfig();
  $("save-config").textContent = pretty(config);
  $("sample").classList.add("stale");
  try {
    const result = await api("/api/sample", { config, records, limit });
    if (seq !== state.seq) return;
    $("sample").classList.remove("stale");
    showErrors(result.refused);
    if (result.refused) {
      $("sample-status").textContent = `The component refused the config: ${result.refused.message}`;
      $("sample").replaceChildren();
      return;
    }
    renderSample(result, records);
  } catch (e) {
    if (seq === state.seq) $("sample-status").textContent = `Error: ${e.message}`;
  }
  updatePreview();
}

const scheduleSample = debounce(updateSample, 250);

// --- Test: edit a sample's record and send it ----------------------------------

function fillTestPicker() {
  const pick = $("test-record");
  pick.replaceChildren(...state.records.map((r) => el("option", { value: String(r.index), text: `Record #${r.index}` })));
  pickTest();
}

function pickTest() {
  const rec = state.records.find((r) => String(r.index) === $("test-record").value);
  $("test-body").value = rec ? pretty(rec.record) : "";
  checkTestBody();
}

function testRecord() {
  try {
    const v = JSON.parse($("test-body").value);
    if (v === null || typeof v !== "object" || Array.isArray(v)) return { error: "the record must be a JSON object" };
    return { record: v };
  } catch (e) {
    return { error: e.message };
  }
}

function checkTestBody() {
  const t = testRecord();
  const area = $("test-body");
  area.classList.toggle("invalid", !!t.error);
  area.setAttribute("aria-invalid", t.error ? "true" : "false");
  $("test-json").textContent = t.error ? `Not valid: ${t.error}` : "Valid JSON.";
  $("send-test").disabled = !!t.error || !$("test-record").value;
  schedulePreview();
}

async function updatePreview() {
  const t = testRecord();
  const box = $("test-preview");
  if (t.error || !$("test-record").value) { box.replaceChildren(); return; }
  const index = Number($("test-record").value);
  try {
    const result = await api("/api/sample", { config: readConfig(), records: [{ index, record: t.record }], limit: 1 });
    box.replaceChildren();
    if (result.refused) return;
    result.requests.forEach((r) => box.append(requestView(r)));
    if (result.problems.length) box.append(el("ul", { class: "problems" }, ...result.problems.map(problemView)));
  } catch (e) {
    box.replaceChildren(el("p", { class: "error", text: e.message }));
  }
}

const schedulePreview = debounce(updatePreview, 250);

function confirmSend(c) {
  $("confirm-text").textContent = `This sends the record to ${c.origin}${c.endpoint}` +
    (c.steps.length > 1 ? ` (calls: ${c.steps.join(", ")})` : "") +
    ": a real Ashby account, where it makes real changes.";
  $("confirm-effects").replaceChildren(...(c.side_effects || []).map((n) => el("li", { text: n })));
  const dialog = $("confirm");
  return new Promise((resolve) => {
    const done = (yes) => { dialog.close(); resolve(yes); };
    $("confirm-send").onclick = () => done(true);
    $("confirm-cancel").onclick = () => done(false);
    dialog.showModal();
  });
}

async function sendTest() {
  const t = testRecord();
  if (t.error) return;
  const out = $("test-result");
  const body = { config: readConfig(), record: t.record, index: Number($("test-record").value) };
  out.replaceChildren(el("p", { class: "hint", text: "Sending…" }));
  try {
    let result = await api("/api/send", body);
    if (result.confirm) {
      if (!(await confirmSend(result.confirm))) { out.replaceChildren(el("p", { class: "hint", text: "Not sent." })); return; }
      result = await api("/api/send", { ...body, confirmed: true });
    }
    showErrors(result.refused);
    if (result.refused) { out.replaceChildren(el("p", { class: "error", text: result.refused.message })); return; }
    renderOutcome(result);
  } catch (e) {
    out.replaceChildren(el("p", { class: "error", text: e.message }));
  }
}

function renderOutcome(result) {
  const o = result.outcome;
  const text = o.kind === "delivered" ? `delivered · id ${o.id ?? "-"}` : `${o.kind}: ${o.code}: ${o.message}`;
  const out = $("test-result");
  out.replaceChildren(el("p", { id: "test-outcome", class: `outcome ${o.kind}`, "data-id": o.id || null, text }));
  result.requests.forEach((r) => out.append(requestView(r)));
  for (const x of result.responses) {
    out.append(el("div", { class: "response" },
      el("div", { class: "line", text: `response from ${x.endpoint}: HTTP ${x.status}` }),
      el("pre", { class: "body", text: pretty(x.body) })));
  }
}

// --- Save ----------------------------------------------------------------------

async function save() {
  const config = readConfig();
  try {
    const result = await api("/api/save", { config, write: !!state.configPath });
    showErrors(result.refused);
    if (result.refused) { $("save-status").textContent = `Not saved: ${result.refused.message}`; return; }
    const dl = $("download");
    dl.href = "data:application/json;charset=utf-8," + encodeURIComponent(result.config);
    dl.hidden = false;
    $("save-status").textContent = result.written ? `Written to ${result.written}. Run it with:` : "Download it, then run it with:";
    $("save-command").textContent = result.command;
    $("save-config").textContent = result.config;
  } catch (e) {
    $("save-status").textContent = `Not saved: ${e.message}`;
  }
}

// --- start ----------------------------------------------------------------------

async function start() {
  state.onFields = [];
  let init;
  try {
    init = await api("/api/init");
  } catch (e) {
    $("fatal").textContent = `Cannot start: ${e.message}`;
    $("fatal").hidden = false;
    return;
  }
  state.schema = init.describe.config_schema;
  state.catalog = init.describe.catalog;
  state.mock = init.target.mock;
  state.configPath = init.config_path;
  $("title").textContent = state.schema.title || "Destination settings";
  $("target").textContent = state.mock
    ? `Test data goes to the embedded mock Ashby (${init.target.origin}): nothing real is written.`
    : `Test data goes to ${init.target.origin}: a real Ashby. Every send asks first and makes real changes.`;
  $("target").classList.toggle("real", !state.mock);
  $("send-warning").textContent = state.mock ? "to the embedded mock" : `writes to ${init.target.origin}`;
  renderForm();
  wireRecords();
  $("sample-limit").addEventListener("change", scheduleSample);
  $("test-record").addEventListener("change", pickTest);
  $("test-body").addEventListener("input", checkTestBody);
  $("send-test").addEventListener("click", sendTest);
  $("save").addEventListener("click", save);
  $("save").textContent = state.configPath ? `Save to ${state.configPath}` : "Save";
  if (init.config) for (const w of state.widgets) w.set(init.config[w.key]);
  unknownKeys(init.config);
  showTemplate();
  setRecords(init.input || { records: [], bad: [] }, init.input_path || "nowhere yet");
  if (init.input?.csv) state.source = { text: undefined, name: null, label: init.input_path };
  if (!init.input_path) $("records-status").textContent = "No records yet: paste some, drop a file, or start with --input.";
}

start();
