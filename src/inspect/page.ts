import { escapeHtml, fillTemplate, loadPageFiles, scriptJson } from "../web/page-files.js";

export interface PageSettings {
  webhookUrl: string;
  signing: boolean;
  maxRequests: number;
}

export interface Page {
  html(settings: PageSettings): string;
  assets: Map<string, { type: string; body: string }>;
}

/** Reads the page template and its assets once, at start-up. */
export async function loadPage(): Promise<Page> {
  const { template, assets } = await loadPageFiles("inspect/page");

  return {
    assets,
    html(settings) {
      const values: Record<string, string> = {
        webhook_url: escapeHtml(settings.webhookUrl),
        signing: settings.signing ? "checked with your secret" : "not checked (no HOOKGRAPH_INSPECT_SECRET)",
        signing_class: settings.signing ? "on" : "off",
        settings_json: scriptJson(settings),
      };
      return fillTemplate(template, values);
    },
  };
}
