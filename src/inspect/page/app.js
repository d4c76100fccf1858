// hookgraph inspect: the live page. Plain JS, no build step. Received data is untrusted, so it is
// only ever placed with textContent, never as HTML.
"use strict";

const settings = JSON.parse(document.getElementById("settings").textContent);

const state = {
  requests: [], // newest first
  rules: [],
  max: settings.maxRequests,
  selectedPath: null, // null shows every path
};
const cards = new Map(); // request id -> <li>, kept so open/closed state survives re-rendering

const $ = (id) => document.getElementById(id);

/** Creates an element with a class and children (strings become text nodes). */
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function describeRule(rule) {
  const parts = [rule.statuses.join(", ")];
  if (rule.delay_ms) parts.push(`delay ${rule.delay_ms} ms`);
  if (rule.retry_after !== null) parts.push(`Retry-After ${rule.retry_after}s`);
  return parts.join(" · ");
}

function statusClass(status) {
  return status < 300 ? "ok" : status < 500 ? "warn" : "bad";
}

// ---- JSON body as a collapsible tree -------------------------------------------------------

function jsonValue(value) {
  if (value === null) return el("span", "j-null", "null");
  if (typeof value === "string") return el("span", "j-string", JSON.stringify(value));
  if (typeof value === "number") return el("span", "j-number", String(value));
  return el("span", "j-bool", String(value));
}

function jsonNode(key, value, depth) {
  const label = key === null ? null : el("span", "j-key", `${key}: `);
  if (value === null || typeof value !== "object") {
    return el("div", "j-line", label, jsonValue(value));
  }
  const isArray = Array.isArray(value);
  const entries = isArray ? value.map((v, i) => [i, v]) : Object.entries(value);
  const size = isArray ? `[${entries.length}]` : `{${entries.length}}`;
  if (entries.length === 0) return el("div", "j-line", label, el("span", "j-punct", isArray ? "[]" : "{}"));

  const node = el("details", "j-node");
  node.open = depth < 3;
  node.append(el("summary", null, label, el("span", "j-punct", size)));
  const children = el("div", "j-children");
  for (const [k, v] of entries) children.append(jsonNode(k, v, depth + 1));
  node.append(children);
  return node;
}

function renderBody(request) {
  if (request.size === 0) return el("p", "muted", "(empty body)");
  if (request.body_encoding === "base64") {
    return el("pre", "raw", `binary body, base64:\n${request.body}`);
  }
  try {
    return el("div", "json", jsonNode(null, JSON.parse(request.body), 0));
  } catch {
    return el("pre", "raw", request.body);
  }
}

// ---- one request ---------------------------------------------------------------------------

function verdictBadge(signature) {
  if (!signature) return null;
  const badge = el("span", `badge verdict ${signature.verdict}`, signature.verdict);
  if (signature.reason) badge.title = signature.reason;
  return badge;
}

function headersTable(headers) {
  const table = el("table", "headers");
  for (const [name, value] of headers) {
    table.append(el("tr", null, el("th", null, name), el("td", null, value)));
  }
  return table;
}

function replayForm(request) {
  const input = el("input");
  input.type = "url";
  input.required = true;
  input.placeholder = "http://127.0.0.1:8000/webhook";
  input.setAttribute("aria-label", "Replay to URL");
  const result = el("span", "replay-result");
  const form = el("form", "replay", input, el("button", "small", "Replay"), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.className = "replay-result";
    result.textContent = "sending…";
    const answer = await api("POST", `/api/requests/${request.id}/replay`, { url: input.value });
    if (answer.ok) {
      result.className = `replay-result ${statusClass(answer.body.status)}`;
      result.textContent = `→ ${answer.body.status}`;
    } else {
      result.className = "replay-result bad";
      result.textContent = answer.body.error;
    }
  });
  return form;
}

function requestCard(request) {
  const received = new Date(request.received_at);
  const time = el("time", "time", received.toLocaleTimeString());
  time.dateTime = request.received_at;
  time.title = received.toLocaleString();
  const response = request.response;

  const summary = el(
    "summary",
    null,
    el("span", `method m-${request.method.toLowerCase()}`, request.method),
    el("span", "target", request.path, request.query ? el("span", "query", `?${request.query}`) : null),
    verdictBadge(request.signature),
    el("span", `badge status ${statusClass(response.status)}`, `→ ${response.status}`),
    el("span", "size", formatSize(request.size)),
    time,
  );

  const answered = [`answered ${response.status}`];
  if (response.delay_ms) answered.push(`after ${response.delay_ms} ms`);
  if (response.retry_after !== null && response.status >= 300) answered.push(`Retry-After ${response.retry_after}s`);
  const meta = el("p", "meta muted", `#${request.id} · ${received.toLocaleString()} · ${answered.join(" ")}`);
  if (request.signature && request.signature.reason) {
    meta.append(el("span", "reason", ` · signature: ${request.signature.reason}`));
  }

  const details = el("details", "card");
  details.append(
    summary,
    el(
      "div",
      "card-body",
      meta,
      el("div", "columns",
        el("section", null, el("h3", null, "Headers"), headersTable(request.headers)),
        el("section", null, el("h3", null, "Body"), renderBody(request)),
      ),
      replayForm(request),
    ),
  );
  const item = el("li", "request", details);
  item.dataset.id = String(request.id);
  return item;
}

// ---- lists ---------------------------------------------------------------------------------

function visibleRequests() {
  return state.selectedPath === null
    ? state.requests
    : state.requests.filter((r) => r.path === state.selectedPath);
}

function cardFor(request) {
  let card = cards.get(request.id);
  if (!card) {
    card = requestCard(request);
    cards.set(request.id, card);
  }
  return card;
}

function renderFeedHeader() {
  $("empty").hidden = state.requests.length > 0;
  $("feed-title").textContent = state.selectedPath ?? "All requests";
  const kept = `${state.requests.length} of max ${state.max} kept`;
  const shown = $("requests").childElementCount;
  $("count").textContent = state.selectedPath === null ? kept : `${shown} shown · ${kept}`;
}

function renderFeed() {
  $("requests").replaceChildren(...visibleRequests().map(cardFor));
  renderFeedHeader();
}

function renderPaths() {
  const counts = new Map();
  for (const request of state.requests) counts.set(request.path, (counts.get(request.path) ?? 0) + 1);
  const ruled = new Map(state.rules.map((rule) => [rule.path, rule]));

  const entry = (path, label, count) => {
    const button = el("button", "path", el("span", "path-name", label), el("span", "count", String(count)));
    button.type = "button";
    if (path === state.selectedPath) button.classList.add("selected");
    const rule = path !== null && ruled.get(path);
    if (rule) button.append(el("span", "path-rule", describeRule(rule)));
    button.addEventListener("click", () => selectPath(path));
    return el("li", null, button);
  };
  const items = [entry(null, "All requests", state.requests.length)];
  for (const [path, count] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) items.push(entry(path, path, count));
  $("paths").replaceChildren(...items);
}

function renderRules() {
  const items = state.rules.map((rule) => {
    const sequence = el("span", "sequence");
    rule.statuses.forEach((status, index) => {
      const next = Math.min(rule.served, rule.statuses.length - 1) === index;
      sequence.append(el("span", `step ${statusClass(status)}${next ? " next" : ""}`, String(status)));
    });
    const remove = el("button", "small link", "Remove");
    remove.type = "button";
    remove.addEventListener("click", () => api("DELETE", `/api/responses?path=${encodeURIComponent(rule.path)}`));
    const extra = [];
    if (rule.delay_ms) extra.push(`${rule.delay_ms} ms`);
    if (rule.retry_after !== null) extra.push(`Retry-After ${rule.retry_after}s`);
    return el(
      "li",
      "rule",
      el("div", "rule-head", el("code", null, rule.path), remove),
      el("div", "rule-body", sequence, el("span", "muted", [`${rule.served} served`, ...extra].join(" · "))),
    );
  });
  $("rules").replaceChildren(...items);
}

function selectPath(path) {
  state.selectedPath = path;
  if (path !== null) fillRuleForm(path);
  renderPaths();
  renderFeed();
}

function fillRuleForm(path) {
  const form = $("rule-form");
  const rule = state.rules.find((r) => r.path === path);
  form.elements.path.value = path;
  form.elements.statuses.value = rule ? rule.statuses.join(",") : "";
  form.elements.delay_ms.value = rule && rule.delay_ms ? String(rule.delay_ms) : "";
  form.elements.retry_after.value = rule && rule.retry_after !== null ? String(rule.retry_after) : "";
}

// ---- server calls --------------------------------------------------------------------------

async function api(method, path, body) {
  const init = { method };
  if (body !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  try {
    const response = await fetch(path, init);
    const text = await response.text();
    return { ok: response.ok, body: text ? JSON.parse(text) : {} };
  } catch (error) {
    return { ok: false, body: { error: String(error) } };
  }
}

$("rule-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target.elements;
  const numberOrNull = (text) => (text.trim() === "" ? null : Number(text));
  const rule = {
    path: form.path.value.trim(),
    statuses: form.statuses.value.split(",").map((s) => Number(s.trim())),
    delay_ms: numberOrNull(form.delay_ms.value) ?? 0,
    retry_after: numberOrNull(form.retry_after.value),
  };
  const answer = await api("PUT", "/api/responses", rule);
  const message = $("rule-message");
  message.className = answer.ok ? "message ok" : "message bad";
  message.textContent = answer.ok ? `Applied to ${rule.path}` : answer.body.error;
});

$("clear").addEventListener("click", () => api("DELETE", "/api/requests"));

$("copy-url").addEventListener("click", async () => {
  const button = $("copy-url");
  try {
    await navigator.clipboard.writeText(settings.webhookUrl);
    button.textContent = "Copied";
  } catch {
    getSelection().selectAllChildren($("webhook-url"));
    button.textContent = "Press Ctrl+C";
  }
  setTimeout(() => (button.textContent = "Copy"), 1500);
});

// ---- live updates --------------------------------------------------------------------------

function setConnection(text, live) {
  const pill = $("connection");
  pill.textContent = text;
  pill.classList.toggle("live", live);
}

const events = new EventSource("/events");
events.addEventListener("open", () => setConnection("live", true));
events.addEventListener("error", () => setConnection("reconnecting…", false));

// Every (re)connection starts with the full state, so nothing is missed or shown twice.
events.addEventListener("snapshot", (event) => {
  const data = JSON.parse(event.data);
  state.requests = data.requests;
  state.rules = data.responses;
  state.max = data.max_requests;
  const kept = new Set(state.requests.map((r) => r.id));
  for (const id of cards.keys()) if (!kept.has(id)) cards.delete(id);
  renderPaths();
  renderRules();
  renderFeed();
});

events.addEventListener("request", (event) => {
  const { request } = JSON.parse(event.data);
  state.requests.unshift(request);
  while (state.requests.length > state.max) {
    const dropped = state.requests.pop().id;
    cards.get(dropped)?.remove();
    cards.delete(dropped);
  }
  // Only the new card is inserted: re-attaching the others would lose focus and restart animations.
  if (state.selectedPath === null || state.selectedPath === request.path) {
    const list = $("requests");
    const card = cardFor(request);
    // Open the newest request while the user has nothing else open.
    if (!list.querySelector("details[open]")) card.firstChild.open = true;
    card.classList.add("fresh");
    card.addEventListener("animationend", () => card.classList.remove("fresh"), { once: true });
    list.prepend(card);
  }
  renderPaths();
  renderFeedHeader();
});

events.addEventListener("responses", (event) => {
  state.rules = JSON.parse(event.data).responses;
  renderRules();
  renderPaths();
});

events.addEventListener("cleared", () => {
  state.requests = [];
  cards.clear();
  renderPaths();
  renderFeed();
});
