// seqlab explore: the page's client. Talks only to this server's /api (see /openapi.json)
// and draws with the vendored Vega-Lite (vegaEmbed). No other network access.
"use strict";

const state = { runs: [], analysis: null, input: null };
const $ = (id) => document.getElementById(id);
const GATE_PANELS = new Set(["i", "f", "o", "r", "z"]);

function say(text, isError) {
  const m = $("message");
  m.textContent = text || "";
  m.className = isError ? "error" : "";
  m.setAttribute("role", isError ? "alert" : "status");
}

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const res = await fetch(path, opts);
  const data = await res.json();
  if (!res.ok) {
    const d = data.detail;
    const msg = typeof d === "string" ? d
      : Array.isArray(d) ? d.map((e) => `${(e.loc || []).slice(1).join(".")}: ${e.msg}`).join("; ")
      : `request failed (${res.status})`;
    throw new Error(msg);
  }
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function option(value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  return o;
}

function pct(p) { return (100 * p).toFixed(p >= 0.1 ? 1 : 2) + "%"; }

// ----- start ------------------------------------------------------------------------

async function start() {
  try {
    state.runs = await api("/api/runs");
  } catch (e) { say(e.message, true); return; }
  $("runs-summary").textContent = `${state.runs.length} run(s): ` +
    state.runs.map((r) => r.label).join(" · ");
  const exRun = $("example-run");
  const matchRun = $("match-run");
  for (const r of state.runs) {
    if (r.examples > 0) exRun.append(option(r.id, r.label));
    matchRun.append(option(r.id, r.label));
  }
  exRun.addEventListener("change", loadExamples);
  matchRun.addEventListener("change", fillPanels);
  fillPanels();
  await loadExamples();
  $("input-form").addEventListener("submit", (ev) => { ev.preventDefault(); analyzeText(); });
  $("use-example").addEventListener("click", useExample);
  $("position").addEventListener("change", drawSaliency);
  $("method").addEventListener("change", drawSaliency);
  $("layer").addEventListener("change", () => state.input && analyze(state.input));
  $("span-select").addEventListener("click", selectSpan);
  $("match-form").addEventListener("submit", (ev) => { ev.preventDefault(); runMatch(); });
  document.body.dataset.ready = "1";
}

async function loadExamples() {
  const sel = $("example");
  sel.replaceChildren();
  const rid = $("example-run").value;
  if (!rid) return;
  try {
    const list = await api(`/api/examples?run=${encodeURIComponent(rid)}&limit=30`);
    for (const ex of list) {
      const t = ex.text.length > 70 ? "…" + ex.text.slice(-70) : ex.text;
      sel.append(option(String(ex.index), `#${ex.index}: ${t}${ex.target ? " → " + ex.target : ""}`));
    }
  } catch (e) { say(e.message, true); }
}

function fillPanels() {
  const r = state.runs.find((x) => x.id === $("match-run").value);
  const sel = $("match-panel");
  sel.replaceChildren();
  for (const p of (r ? r.panels : [])) sel.append(option(p, p));
  if (r && r.panels.includes("h")) sel.value = "h";
}

// ----- analysis ------------------------------------------------------------------------

function analyzeText() {
  const text = $("text").value;
  if (!text.trim()) { say("Type a sentence first (the box is empty).", true); return; }
  analyze({ text });
}

function useExample() {
  const rid = $("example-run").value;
  const run = state.runs.find((r) => r.id === rid);
  const idx = Number($("example").value);
  if (!run || Number.isNaN(idx)) return;
  const opt = $("example").selectedOptions[0];
  if (run.input === "tokens" && opt) {
    // token examples go through the text box, so every token model can read them
    const text = opt.textContent.replace(/^#\d+: …?/, "").replace(/ → [^→]*$/, "");
    $("text").value = text;
  }
  analyze({ example: { run: rid, index: idx } });
}

async function analyze(input) {
  const layer = Number($("layer").value) || 0;
  say("Computing…");
  try {
    state.analysis = await api("/api/analyze", { ...input, layer });
  } catch (e) { say(e.message, true); return; }
  state.input = input;
  const a = state.analysis;
  const bad = a.models.filter((m) => m.error);
  let msg = `${a.words.length} step(s), ${a.models.length - bad.length} model(s).`;
  if (a.unknown.length) msg += ` Unknown words shown as <unk>: ${a.unknown.join(", ")}.`;
  for (const m of bad) msg += ` ${m.label}: ${m.error}`;
  say(msg, false);
  drawPredictions();
  fillPositions();
  await Promise.all([drawGates(), drawSaliency()]);
}

function drawPredictions() {
  const a = state.analysis;
  const models = a.models.filter((m) => !m.error);
  const table = el("table", { id: "prediction-table" });
  const head = el("tr", {}, el("th", { scope: "col", text: "step" }), el("th", { scope: "col", text: "input" }));
  for (const m of models) head.append(el("th", { scope: "col", class: "model", "data-run": m.run, text: m.label }));
  table.append(el("thead", {}, head));
  const body = el("tbody");
  a.words.forEach((w, t) => {
    const row = el("tr", {}, el("td", { text: String(t) }), el("th", { scope: "row", text: shownWord(models, t, w) }));
    for (const m of models) {
      const s = m.offset + t;
      const cell = el("td", { "data-run": m.run });
      if (m.predictions) {
        const ol = el("ol", { class: "top" });
        for (const p of m.predictions[s]) ol.append(el("li", {}, el("span", { class: "w", text: p.label }), " ", el("span", { class: "p", text: pct(p.p) })));
        cell.append(ol);
      } else if (m.outputs) {
        cell.textContent = m.outputs[s].map((v) => v.toFixed(4)).join(", ");
      }
      row.append(cell);
    }
    body.append(row);
  });
  table.append(body);
  const host = $("predictions");
  host.replaceChildren(table);
  host.scrollTop = host.scrollHeight; // the last word's prediction is the one asked for
}

function shownWord(models, t, w) {
  for (const m of models) {
    if (m.tokens[m.offset + t] === "<unk>") return `${w} (<unk>)`;
  }
  return w;
}

function fillPositions() {
  for (const id of ["position", "span-from", "span-to"]) {
    const sel = $(id);
    sel.replaceChildren();
    state.analysis.words.forEach((w, t) => sel.append(option(String(t), `${t}: ${w}`)));
    sel.value = String(state.analysis.words.length - 1);
  }
}

// LSTMVis's select view: the units of the chosen panel at or above the threshold at every
// step of a span of the typed input become the match's units.
function selectSpan() {
  const a = state.analysis;
  if (!a) { say("Show predictions for an input first.", true); return; }
  const m = a.models.find((x) => x.run === $("match-run").value && !x.error);
  const p = m && m.panels.find((x) => x.name === $("match-panel").value);
  if (!p) { say("That model has no such panel for this input.", true); return; }
  let lo = Number($("span-from").value), hi = Number($("span-to").value);
  if (lo > hi) [lo, hi] = [hi, lo];
  const thr = Number($("match-threshold").value);
  const units = [];
  p.values.forEach((row, u) => {
    if (row.slice(m.offset + lo, m.offset + hi + 1).every((v) => v >= thr)) units.push(u);
  });
  $("match-units").value = units.join(", ");
  say(`${units.length} unit(s) of ${p.label} are at or above ${thr} from step ${lo} to ${hi}.`, false);
}

// ----- charts ----------------------------------------------------------------------------

function heatmapSpec(tokens, values, name, title) {
  const data = [];
  values.forEach((row, u) => row.forEach((v, t) => data.push({ unit: u, step: t, token: tokens[t], value: v })));
  const gate = GATE_PANELS.has(name);
  const scale = gate ? { scheme: "viridis", domain: [0, 1] } : { scheme: "redblue", reverse: true, domainMid: 0 };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    params: [{ name: "toks", value: tokens }],
    data: { values: data },
    width: Math.max(120, 16 * tokens.length),
    height: Math.max(40, Math.min(12, 600 / values.length) * values.length),
    mark: { type: "rect" },
    encoding: {
      x: { field: "step", type: "ordinal", title: null, axis: { labelExpr: "toks[datum.value]", labelAngle: -55 } },
      y: { field: "unit", type: "ordinal", title: "unit", axis: values.length > 32 ? { values: [0, values.length - 1] } : {} },
      color: { field: "value", type: "quantitative", scale, legend: { title: null } },
      tooltip: [
        { field: "token", title: "step" },
        { field: "unit", title: "unit" },
        { field: "value", title: "value", format: ".4f" },
      ],
    },
    config: { view: { stroke: null } },
  };
}

function embed(target, spec, cells) {
  return vegaEmbed(target, spec, {
    actions: false, renderer: cells > 20000 ? "canvas" : "svg", tooltip: { theme: "light" },
  });
}

async function drawGates() {
  const a = state.analysis;
  const host = $("gates");
  host.replaceChildren();
  $("input-view").replaceChildren();
  const jobs = [];
  const withInput = a.models.find((m) => m.input);
  if (withInput) {
    const div = el("div", { class: "chart", "data-panel": "input" });
    $("input-view").append(el("h3", { text: "Input (features × steps)" }), div);
    const steps = withInput.tokens;
    jobs.push(embed(div, heatmapSpec(steps, withInput.input, "input", "input"), steps.length * withInput.input.length));
  }
  for (const m of a.models.filter((x) => !x.error)) {
    const box = el("div", { class: "model-gates", "data-run": m.run });
    const unitId = `unit-${m.run}`;
    const unitInput = el("input", { id: unitId, type: "number", min: "0", max: String(m.panels[0].values.length - 1), value: "0" });
    const button = el("button", { type: "button", text: "Show trace" });
    button.addEventListener("click", () => showTrace(m, Number(unitInput.value)));
    box.append(
      el("h3", { text: m.label }),
      el("div", { class: "row" }, el("label", { for: unitId, text: "Unit" }), unitInput, button),
      el("div", { class: "trace", "data-run": m.run }),
    );
    const grid = el("div", { class: "panels" });
    box.append(grid);
    host.append(box);
    for (const p of m.panels) {
      const div = el("div", { class: "chart", "data-run": m.run, "data-panel": p.name });
      grid.append(div);
      const job = embed(div, heatmapSpec(m.tokens, p.values, p.name, p.label), p.values.length * m.tokens.length)
        .then((res) => {
          res.view.addEventListener("click", (_ev, item) => {
            if (item && item.datum && item.datum.unit !== undefined) {
              unitInput.value = String(item.datum.unit);
              showTrace(m, item.datum.unit, p.name);
            }
          });
        });
      jobs.push(job);
    }
  }
  try { await Promise.all(jobs); } catch (e) { say(`chart: ${e.message}`, true); }
}

async function showTrace(m, unit, panelName) {
  const H = m.panels[0].values.length;
  if (!(unit >= 0 && unit < H)) { say(`unit must be 0 … ${H - 1}`, true); return; }
  const data = [];
  for (const p of m.panels) p.values[unit].forEach((v, t) => data.push({ step: t, token: m.tokens[t], panel: p.name, value: v }));
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `${m.label}: unit ${unit} over the steps`,
    params: [{ name: "toks", value: m.tokens }],
    data: { values: data },
    width: Math.max(200, 16 * m.tokens.length), height: 120,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "step", type: "ordinal", title: null, axis: { labelExpr: "toks[datum.value]", labelAngle: -55 } },
      y: { field: "value", type: "quantitative" },
      color: { field: "panel", type: "nominal" },
      tooltip: [{ field: "panel" }, { field: "token", title: "step" }, { field: "value", format: ".4f" }],
    },
  };
  const div = document.querySelector(`.trace[data-run="${CSS.escape(m.run)}"]`);
  div.dataset.unit = String(unit);
  await embed(div, spec, data.length);
  // the unit joins the match form, so "Find passages" searches for it
  $("match-run").value = m.run;
  fillPanels();
  if (panelName) $("match-panel").value = panelName;
  const units = new Set($("match-units").value.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number));
  units.add(unit);
  $("match-units").value = [...units].join(", ");
}

async function drawSaliency() {
  if (!state.input || !state.analysis) return;
  const position = Number($("position").value);
  let res;
  try {
    res = await api("/api/saliency", { ...state.input, position, method: $("method").value });
  } catch (e) { say(e.message, true); return; }
  const host = $("saliency");
  host.replaceChildren();
  const jobs = [];
  for (const m of res.models) {
    if (m.error) continue;
    const div = el("div", { class: "chart", "data-run": m.run });
    host.append(el("h3", { text: `${m.label} → ${m.target}` }), div);
    const data = m.scores.map((s, t) => ({ step: t, token: m.tokens[t], score: s }));
    const spec = {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      params: [{ name: "toks", value: m.tokens }],
      data: { values: data },
      width: Math.max(200, 16 * m.tokens.length), height: 90,
      mark: "bar",
      encoding: {
        x: { field: "step", type: "ordinal", title: null, axis: { labelExpr: "toks[datum.value]", labelAngle: -55 } },
        y: { field: "score", type: "quantitative", title: res.method },
        color: { condition: { test: "datum.score < 0", value: "#4c78a8" }, value: "#e45756" },
        tooltip: [{ field: "token", title: "step" }, { field: "score", format: ".5f" }],
      },
    };
    jobs.push(embed(div, spec, data.length));
  }
  try { await Promise.all(jobs); } catch (e) { say(`chart: ${e.message}`, true); }
}

// ----- match ------------------------------------------------------------------------------

async function runMatch() {
  const raw = $("match-units").value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const units = raw.map(Number);
  const list = $("match-results");
  if (!units.length || units.some((u) => !Number.isInteger(u))) {
    say("Units: whole numbers separated by commas, e.g. 0, 3", true);
    return;
  }
  let res;
  try {
    res = await api("/api/match", {
      run: $("match-run").value, panel: $("match-panel").value, units,
      threshold: Number($("match-threshold").value), layer: Number($("layer").value) || 0, limit: 10,
    });
  } catch (e) { say(e.message, true); return; }
  list.replaceChildren();
  say(`${res.results.length} match(es) in ${res.passages} test passages (${res.steps} steps).`, false);
  for (const r of res.results) {
    list.append(el("li", { class: "match" },
      el("span", { class: "ctx", text: r.before.join(" ") + " " }),
      el("mark", { text: r.tokens.join(" ") }),
      el("span", { class: "ctx", text: " " + r.after.join(" ") }),
      el("span", { class: "note", text: `  passage ${r.passage}, steps ${r.start}–${r.end - 1}; ${r.intersection} of ${res.units.length} units on, ${r.union} in the union` })));
  }
}

start();
