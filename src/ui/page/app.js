// hookgraph dashboard: the live part of /ui. Plain JS, no build step. Run data is untrusted, so it is
// only ever placed with textContent, never as HTML. Polls the read-only JSON under /ui/api/ every
// second; the one write is a redelivery through the public API.
"use strict";

const POLL_MS = 1000;
const STATUSES = ["pending", "running", "success", "error", "timeout", "interrupted"];

const initial = JSON.parse(document.getElementById("initial").textContent);
const state = {
  filters: initial.filters, // {status?, assistant_id?, thread_id?, before?}
  run: initial.run, // selected run id or null
  assistants: new Map(),
  overviewText: "",
  detailText: "",
  online: true,
};

const $ = (id) => document.getElementById(id);

/** h("div.a.b", {title: "x", onclick: fn}, child, "text", ...): an element; null children are skipped. */
function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  const node = document.createElement(tag);
  if (classes.length) node.className = classes.join(" ");
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) children.unshift(attrs);
  else if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "class") node.className += ` ${value}`;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

// ---- formatting ----------------------------------------------------------------------------

const shortId = (id) => id.slice(0, 8);
const pad = (n, width = 2) => String(n).padStart(width, "0");

function clock(iso, withMs = false) {
  const d = new Date(iso);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${withMs ? `.${pad(d.getMilliseconds(), 3)}` : ""}`;
  const today = new Date().toDateString() === d.toDateString();
  return today ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

function timeEl(iso, withMs = false) {
  return h("time", { datetime: iso, title: new Date(iso).toLocaleString() }, clock(iso, withMs));
}

function duration(ms) {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

function took(run) {
  if (!run.started_at) return "";
  if (!run.ended_at) return "…";
  return duration(Date.parse(run.ended_at) - Date.parse(run.started_at));
}

/** ok / warn / bad for an attempt: 2xx is good; a 4xx is the receiver's say; 5xx and no answer are bad. */
function attemptClass(attempt) {
  if (attempt.error === null) return "ok";
  return attempt.status_code !== null && attempt.status_code < 500 ? "warn" : "bad";
}

function deliveryLabel(delivery) {
  if (delivery.status === "succeeded") return ["delivered", "ok"];
  if (delivery.status === "failed") return ["failed", "bad"];
  if (delivery.failing) return ["retrying", "bad"];
  return [delivery.attempt_count > 0 ? "redelivering" : "pending", "muted"];
}

function pretty(value) {
  const text = JSON.stringify(value, null, 2) ?? "null";
  return text.length > 50_000 ? `${text.slice(0, 50_000)}\n… (${text.length - 50_000} more characters)` : text;
}

// ---- server calls --------------------------------------------------------------------------

function query(extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...state.filters, ...extra })) if (value) params.set(key, value);
  return params.toString();
}

async function getText(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const text = await response.text();
  if (!response.ok) throw Object.assign(new Error(text), { status: response.status });
  return text;
}

async function redeliver(deliveryId, button) {
  button.disabled = true;
  button.textContent = "Queuing…";
  try {
    const response = await fetch(`/webhooks/deliveries/${encodeURIComponent(deliveryId)}/redeliver`, { method: "POST" });
    button.textContent = response.ok ? "Queued" : `Failed (${response.status})`;
  } catch {
    button.textContent = "Failed (offline)";
  }
  await refresh();
}

function redeliverButton(deliveryId) {
  const button = h("button.small.redeliver", { type: "button", "data-delivery": deliveryId }, "Redeliver");
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    void redeliver(deliveryId, button);
  });
  return button;
}

// ---- overview: counts, failing deliveries, runs --------------------------------------------

function renderCounts(counts) {
  const total = STATUSES.reduce((sum, status) => sum + counts.runs[status], 0);
  for (const node of document.querySelectorAll("[data-count]")) {
    const key = node.dataset.count;
    node.textContent = String(key === "all" ? total : counts.runs[key]);
  }
  for (const node of document.querySelectorAll("[data-dcount]")) node.textContent = String(counts.deliveries[node.dataset.dcount]);
  for (const chip of document.querySelectorAll("#run-counts .chip")) {
    chip.classList.toggle("selected", (chip.dataset.status || undefined) === state.filters.status);
    chip.classList.toggle("zero", chip.querySelector("b").textContent === "0");
  }
}

function renderFailing(failing) {
  $("failing").hidden = failing.length === 0;
  $("failing-count").textContent = String(failing.length);
  $("failing-list").replaceChildren(
    ...failing.map((delivery) => {
      const last = delivery.last_attempt;
      const [label, tone] = deliveryLabel({ ...delivery, failing: true });
      return h(
        "li.failing-item",
        { "data-delivery": delivery.delivery_id },
        h(`span.badge.${tone}`, label),
        h("code.url", { title: delivery.url }, delivery.url),
        h("a.run-link", { href: `/ui?${query({ run: delivery.run_id })}`, onclick: (e) => openRun(e, delivery.run_id) }, `run ${shortId(delivery.run_id)}`),
        h("span.last", `${delivery.attempt_count} attempt${delivery.attempt_count === 1 ? "" : "s"} · last: `, h("b", last.error ?? String(last.status_code)), " at ", timeEl(last.started_at)),
        h("span.next", delivery.next_attempt_at ? ["next ", timeEl(delivery.next_attempt_at, true)] : "no more retries"),
        redeliverButton(delivery.delivery_id),
      );
    }),
  );
}

function webhookCell(run) {
  if (!run.delivery) return h("span.muted", "—");
  const [label, tone] = deliveryLabel(run.delivery);
  const count = run.delivery.attempt_count;
  return h(`span.badge.${tone}`, { title: `${count} attempt${count === 1 ? "" : "s"}` }, label, count > 1 ? h("span.times", ` ×${count}`) : null);
}

function assistantName(id) {
  const assistant = state.assistants.get(id);
  return assistant ? assistant.name : shortId(id);
}

function renderRuns(data) {
  const rows = data.runs.map((run) =>
    h(
      `tr.run${run.run_id === state.run ? ".selected" : ""}`,
      { "data-run": run.run_id, onclick: (e) => openRun(e, run.run_id) },
      h("td", h(`span.status.s-${run.status}`, run.status)),
      h("td", h("a.mono", { href: `/ui?${query({ run: run.run_id })}`, title: run.run_id }, shortId(run.run_id))),
      h("td", { title: run.assistant_id }, assistantName(run.assistant_id)),
      h("td", h("a.mono.thread", { href: `/ui?thread_id=${run.thread_id}`, title: `Only thread ${run.thread_id}`, onclick: (e) => filterThread(e, run.thread_id) }, shortId(run.thread_id))),
      h("td", timeEl(run.created_at)),
      h("td.num", took(run)),
      h("td", webhookCell(run)),
    ),
  );
  $("runs").replaceChildren(...rows);
  $("runs-empty").hidden = rows.length > 0;
  $("runs-footer").replaceChildren(...runsFooter(data));
}

/** "Newest 50 of 1,234 runs · Older →", or on a later page "50 older runs of 1,234 · ← Newest · Older →". */
function runsFooter(data) {
  const shown = data.runs.length;
  const paged = Boolean(state.filters.before);
  if (!shown && !paged) return [];
  const page = (before) => (event) => {
    event.preventDefault();
    setFilters({ ...state.filters, before });
  };
  const parts = [];
  if (paged) parts.push(`${shown} older run${shown === 1 ? "" : "s"} of ${data.total}`);
  else parts.push(data.older ? `Newest ${shown} of ${data.total} runs` : `${data.total} run${data.total === 1 ? "" : "s"}`);
  if (paged) parts.push(" · ", h("a.runs-newest", { href: `/ui?${query({ before: "" })}`, onclick: page(undefined) }, "← Newest"));
  if (data.older) {
    const last = data.runs[shown - 1].run_id;
    parts.push(" · ", h("a.runs-older", { href: `/ui?${query({ before: last })}`, onclick: page(last) }, "Older →"));
  }
  return parts;
}

/** dev: a save that did not load; the previous code keeps serving until one does. */
function renderReload(reload) {
  const error = reload && reload.error;
  $("reload-error").hidden = !error;
  if (error) $("reload-error").replaceChildren(h("b", "Graph reload failed"), " at ", timeEl(error.at), "; the previous code keeps serving.", h("pre.stack", error.message));
}

function renderOverview(data) {
  state.assistants = new Map(data.assistants.map((a) => [a.assistant_id, a]));
  renderCounts(data.counts);
  renderReload(data.reload);
  renderFailing(data.failing);
  renderRuns(data);
}

// ---- one run -------------------------------------------------------------------------------

function section(title, ...body) {
  return h("section.block", h("h3", title), ...body);
}

function jsonBlock(value) {
  return h("pre.json", pretty(value));
}

function attemptItem(attempt, previous) {
  const tone = attemptClass(attempt);
  const code = attempt.status_code === null ? "no response" : String(attempt.status_code);
  const gap = previous ? Date.parse(attempt.started_at) - Date.parse(previous.started_at) : null;
  return h(
    `li.attempt.${tone}`,
    { "data-attempt": attempt.attempt },
    h("span.marker"),
    h(
      "div.attempt-head",
      h("b", `#${attempt.attempt}`),
      h(`span.badge.${tone}.code`, code),
      h(`span.trigger.${attempt.trigger}`, attempt.trigger),
      h("span.muted", duration(attempt.duration_ms)),
      timeEl(attempt.started_at, true),
      gap !== null ? h("span.gap", { title: "since the previous attempt" }, `+${duration(gap)}`) : null,
    ),
    attempt.error ? h("div.attempt-error", attempt.error) : null,
    attempt.response_excerpt ? h("pre.excerpt", attempt.response_excerpt) : null,
  );
}

function deliveryCard(delivery) {
  const [label, tone] = deliveryLabel(delivery);
  const items = delivery.attempts.map((attempt, i) => attemptItem(attempt, delivery.attempts[i - 1]));
  if (delivery.next_attempt_at) {
    items.push(h("li.attempt.next", h("span.marker"), h("div.attempt-head", "next attempt at ", timeEl(delivery.next_attempt_at, true))));
  }
  return h(
    `div.delivery${delivery.failing ? ".failing" : ""}`,
    { "data-delivery": delivery.delivery_id },
    h(
      "div.delivery-head",
      h(`span.badge.${tone}`, label),
      h("code.url", { title: delivery.url }, delivery.url),
      h("span.strip", ...delivery.attempts.map((a) => h(`span.tick.${attemptClass(a)}`, { title: `#${a.attempt} ${a.status_code ?? a.error}` }))),
      redeliverButton(delivery.delivery_id),
    ),
    items.length ? h("ol.timeline", ...items) : h("p.muted", "No attempt yet."),
  );
}

function eventList(events, openKeys) {
  if (!events.kept) return h("p.muted", "Not kept: the server holds a run's events for a few minutes after it ends.");
  if (events.items.length === 0) return h("p.muted", "No events.");
  const list = h(
    "ol.events",
    ...events.items.map((event) => {
      const key = `event-${event.id}`;
      return h(
        "li",
        h(
          "details",
          { "data-key": key, open: openKeys.has(key) },
          h("summary", h("span.ev-name", event.event), h("span.preview", event.data.slice(0, 120))),
          h("pre.json", pretty(JSON.parse(event.data))),
        ),
      );
    }),
  );
  return events.omitted ? [h("p.muted", `${events.omitted} earlier events not shown.`), list] : list;
}

function fact(label, ...value) {
  return [h("dt", label), h("dd", ...value)];
}

/** The stack a graph raised, its frames in the user's own code marked (not packages, not Node's). */
function stackBlock(stack) {
  return h(
    "pre.stack",
    ...stack.split("\n").map((line, i) => {
      const own = i > 0 && !/node_modules|\(node:|at node:|data:/.test(line);
      return h(own ? "span.own" : "span", `${line}\n`);
    }),
  );
}

function runError(data) {
  if (data.error === null) return null;
  const summary = h("div.run-error", h("b", data.error.error ?? "Error"), ": ", data.error.message ?? JSON.stringify(data.error));
  return data.stack ? [summary, stackBlock(data.stack)] : summary;
}

function renderDetail(data) {
  const panel = $("detail");
  const openKeys = new Set([...panel.querySelectorAll("details[open][data-key]")].map((node) => node.dataset.key));
  const run = data.run;
  const close = h("button.small.link", { type: "button", title: "Close", onclick: () => selectRun(null) }, "Close");
  const values = data.values
    ? [jsonBlock(data.values.values), h("p.note", `From the run's last ${data.values.source}.`)]
    : h("p.muted", run.status === "pending" || run.status === "running" ? "The run has not finished." : "Not kept.");
  const input = data.command !== null ? [jsonBlock(data.input), h("p.note", "Command:"), jsonBlock(data.command)] : jsonBlock(data.input);

  const status = run.status ?? "unknown";
  const parts = [
    h("div.detail-head", h(`span.status.s-${status}`, status), h("h2.mono", { title: run.run_id }, run.run_id), close),
    run.deleted ? h("p.note.deleted", "This run was deleted when it ended (stateless runs are); shown from its webhook delivery.") : null,
    h(
      "dl.facts",
      ...(run.thread_id
        ? fact("Thread", h("a.mono", { href: `/ui?thread_id=${run.thread_id}`, onclick: (e) => filterThread(e, run.thread_id) }, run.thread_id))
        : []),
      ...fact("Assistant", data.assistant ? `${data.assistant.name} (${data.assistant.graph_id})` : (run.assistant_id ?? "not kept")),
      ...(run.created_at ? fact("Created", timeEl(run.created_at, true)) : []),
      ...fact("Took", took(run) || "not started", run.attempt > 1 ? h("span.muted", ` · attempt ${run.attempt}`) : null),
      ...(run.webhook && !data.deliveries.length ? fact("Webhook", h("code.url", run.webhook)) : []),
    ),
    runError(data),
    section(
      "Webhook deliveries",
      data.deliveries.length ? data.deliveries.map(deliveryCard) : h("p.muted", run.webhook ? "Sent when the run ends." : "This run has no webhook."),
    ),
    section("Input", input),
    section("Final values", values),
    section(`Events${data.events.kept ? ` (${data.events.items.length + data.events.omitted})` : ""}`, eventList(data.events, openKeys)),
  ];
  panel.replaceChildren(...parts.flat().filter((part) => part !== null)); // replaceChildren would print a null
}

function renderNoRun(message) {
  $("detail").replaceChildren(h("div.placeholder", h("p", message)));
}

// ---- navigation ----------------------------------------------------------------------------

function syncUrl() {
  const text = query({ run: state.run });
  history.replaceState(null, "", text ? `/ui?${text}` : "/ui");
}

function selectRun(runId) {
  state.run = runId;
  state.detailText = "";
  for (const row of document.querySelectorAll("#runs tr.run")) row.classList.toggle("selected", row.dataset.run === runId);
  if (!runId) renderNoRun("Select a run to see its input, final values, events and webhook deliveries.");
  syncUrl();
  void refresh();
}

function openRun(event, runId) {
  if (event.metaKey || event.ctrlKey || event.shiftKey) return; // let the browser open a new tab
  event.preventDefault();
  selectRun(runId);
}

function setFilters(filters) {
  state.filters = filters;
  const form = $("filters").elements;
  form.status.value = filters.status ?? "";
  form.assistant_id.value = filters.assistant_id ?? "";
  form.thread_id.value = filters.thread_id ?? "";
  state.overviewText = "";
  syncUrl();
  void refresh();
}

function filterThread(event, threadId) {
  event.preventDefault();
  event.stopPropagation();
  setFilters({ ...state.filters, thread_id: threadId, before: undefined });
}

$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target.elements;
  setFilters({
    status: form.status.value || undefined,
    assistant_id: form.assistant_id.value || undefined,
    thread_id: form.thread_id.value.trim() || undefined,
  });
});
$("filters").elements.status.addEventListener("change", () => $("filters").requestSubmit());
$("filters").elements.assistant_id.addEventListener("change", () => $("filters").requestSubmit());

for (const chip of document.querySelectorAll("#run-counts .chip")) {
  chip.addEventListener("click", (event) => {
    event.preventDefault();
    setFilters({ ...state.filters, status: chip.dataset.status || undefined, before: undefined });
  });
}

// ---- live updates --------------------------------------------------------------------------

function setOnline(online) {
  state.online = online;
  const pill = $("connection");
  pill.textContent = online ? "live" : "offline, retrying…";
  pill.classList.toggle("live", online);
  pill.classList.toggle("offline", !online);
}

let inFlight = null;
let again = false;

async function fetchState(runId) {
  return Promise.all([
    getText(`/ui/api/overview?${query()}`),
    runId ? getText(`/ui/api/runs/${encodeURIComponent(runId)}`).catch((error) => (error.status === 404 ? null : Promise.reject(error))) : "",
  ]);
}

/** Fetches the overview (and the open run) and re-renders what changed; one fetch at a time. */
function refresh() {
  if (inFlight) {
    again = true; // the selection or filters may have changed since that fetch began
    return inFlight;
  }
  inFlight = (async () => {
    do {
      again = false;
      const runId = state.run;
      let texts;
      try {
        texts = await fetchState(runId);
        setOnline(true);
      } catch {
        setOnline(false);
        return;
      }
      const [overviewText, detailText] = texts;
      if (overviewText !== state.overviewText) {
        state.overviewText = overviewText;
        renderOverview(JSON.parse(overviewText));
      }
      if (runId && runId === state.run) {
        if (detailText === null) renderNoRun("This run no longer exists.");
        else if (detailText !== state.detailText) {
          state.detailText = detailText;
          renderDetail(JSON.parse(detailText));
        }
      }
    } while (again);
  })().finally(() => (inFlight = null));
  return inFlight;
}

async function loop() {
  if (!document.hidden) await refresh();
  setTimeout(loop, POLL_MS);
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) void refresh();
});

state.overviewText = JSON.stringify(initial.overview);
renderOverview(initial.overview);
if (state.run) void refresh();
setTimeout(loop, POLL_MS);
