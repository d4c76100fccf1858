import { readFile } from "node:fs/promises";

/**
 * Server-rendered pages (the inspector's and the dashboard's): an HTML template with `{{key}}`
 * slots and a few static assets, read once at start-up. Page files are not compiled, so they are
 * read from src/ whether the code runs from src/ (tests) or dist/ (the built CLI).
 */
export interface PageFiles {
  template: string;
  assets: Map<string, { type: string; body: string }>;
}

const ASSET_TYPES: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

/** `folder` is the page folder under src/, e.g. "inspect/page". */
export async function loadPageFiles(folder: string): Promise<PageFiles> {
  // src/web/ and dist/web/ sit at the same depth, so one relative path serves both.
  const dir = new URL(`../../src/${folder}/`, import.meta.url);
  const read = (name: string) => readFile(new URL(name, dir), "utf8");
  const assets = new Map<string, { type: string; body: string }>();
  for (const [name, type] of Object.entries(ASSET_TYPES)) assets.set(name, { type, body: await read(name) });
  return { template: await read("index.html"), assets };
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** JSON for a `<script>` element: "<" is escaped so the data cannot close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/** Fills `{{key}}` slots; values must already be escaped for where they go. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}
