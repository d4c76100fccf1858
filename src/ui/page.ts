import { escapeHtml, fillTemplate, loadPageFiles, scriptJson } from "../web/page-files.js";
import type { RunStatus } from "../storage/types.js";
import { RUN_STATUSES } from "../storage/storage.js";
import type { Overview } from "./views.js";

export interface Filters {
  status?: RunStatus;
  assistant_id?: string;
  thread_id?: string;
  /** Paging: show the runs created before this run. */
  before?: string;
}

export interface PageView {
  version: string;
  filters: Filters;
  /** The run whose detail is open. */
  run?: string;
  overview: Overview;
}

export interface DashboardPage {
  html(view: PageView): string;
  assets: Map<string, { type: string; body: string }>;
}

function option(value: string, label: string, selected: boolean): string {
  return `<option value="${escapeHtml(value)}"${selected ? " selected" : ""}>${escapeHtml(label)}</option>`;
}

/** `/ui` with the filters, the status replaced: the chips are plain links, so they work without the script too. */
function statusHref(filters: Filters, status: RunStatus | undefined): string {
  const query = new URLSearchParams();
  if (status) query.set("status", status);
  if (filters.assistant_id) query.set("assistant_id", filters.assistant_id);
  if (filters.thread_id) query.set("thread_id", filters.thread_id);
  const text = query.toString();
  return text ? `/ui?${text}` : "/ui";
}

function statusChips(view: PageView): string {
  const counts = view.overview.counts.runs;
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const chip = (status: RunStatus | undefined, label: string, count: number) =>
    `<a class="chip c-${status ?? "all"}${view.filters.status === status ? " selected" : ""}" ` +
    `href="${escapeHtml(statusHref(view.filters, status))}" data-status="${status ?? ""}">` +
    `<span class="dot"></span>${label}<b data-count="${status ?? "all"}">${count}</b></a>`;
  return [chip(undefined, "all", total), ...RUN_STATUSES.map((status) => chip(status, status, counts[status]))].join("\n");
}

/** Reads the template and its assets once, at start-up. */
export async function loadDashboardPage(): Promise<DashboardPage> {
  const { template, assets } = await loadPageFiles("ui/page");

  return {
    assets,
    html(view) {
      const { filters, overview } = view;
      const deliveries = overview.counts.deliveries;
      const values: Record<string, string> = {
        version: escapeHtml(view.version),
        status_chips: statusChips(view),
        status_options: [option("", "any status", !filters.status), ...RUN_STATUSES.map((s) => option(s, s, filters.status === s))].join(""),
        assistant_options: [
          option("", "any assistant", !filters.assistant_id),
          ...overview.assistants.map((a) =>
            option(a.assistant_id, a.name === a.graph_id ? a.name : `${a.name} (${a.graph_id})`, filters.assistant_id === a.assistant_id),
          ),
        ].join(""),
        thread_id: escapeHtml(filters.thread_id ?? ""),
        retrying: String(deliveries.retrying),
        failed: String(deliveries.failed),
        succeeded: String(deliveries.succeeded),
        initial_json: scriptJson({ filters, run: view.run ?? null, overview }),
      };
      return fillTemplate(template, values);
    },
  };
}
