import { readFile } from "node:fs/promises";

/**
 * The page's files live in src/inspect/page/ and are not compiled; this path is right from both
 * src/inspect/ (tests) and dist/inspect/ (the built CLI), which sit at the same depth.
 */
const PAGE_DIR = new URL("../../src/inspect/page/", import.meta.url);

export interface PageSettings {
  webhookUrl: string;
  signing: boolean;
  maxRequests: number;
}

export interface Page {
  html(settings: PageSettings): string;
  assets: Map<string, { type: string; body: string }>;
}

const ASSET_TYPES: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Reads the page template and its assets once, at start-up. */
export async function loadPage(): Promise<Page> {
  const read = (name: string) => readFile(new URL(name, PAGE_DIR), "utf8");
  const template = await read("index.html");
  const assets = new Map<string, { type: string; body: string }>();
  for (const [name, type] of Object.entries(ASSET_TYPES)) assets.set(name, { type, body: await read(name) });

  return {
    assets,
    html(settings) {
      // Settings reach app.js as JSON inside a script element; "<" is escaped so it cannot close it.
      const json = JSON.stringify(settings).replace(/</g, "\\u003c");
      const values: Record<string, string> = {
        webhook_url: escapeHtml(settings.webhookUrl),
        signing: settings.signing ? "checked with your secret" : "not checked (no --secret)",
        signing_class: settings.signing ? "on" : "off",
        settings_json: json,
      };
      return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
    },
  };
}
