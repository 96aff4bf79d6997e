import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SVG_CHART } from '../charts/svg-chart.js';
import { paths } from '../paths.js';

export interface DashboardPage {
  html: string;
  /** Inline script and style are allowed by hash; anything from anywhere else, by nothing. */
  csp: string;
}

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The dashboard as one self-contained HTML document: ui.html with ui.css and ui.js
 * (after the shared chart function) inlined.
 */
export function buildDashboardPage(): DashboardPage {
  const read = (name: string) => readFileSync(join(paths.dashboardDir, name), 'utf8');
  const style = read('ui.css');
  const script = `(function () {\n'use strict';\n${SVG_CHART}\n${read('ui.js')}\n})();`;
  // Split on the markers rather than String.replace, whose patterns would read `$` in the script.
  const [head, rest] = read('ui.html').split('/*STYLE*/') as [string, string];
  const [middle, tail] = rest.split('/*SCRIPT*/') as [string, string];
  const inline = script.replace(/<\/script/gi, '<\\/script');
  const html = head + style + middle + inline + tail;
  const csp = [
    "default-src 'none'",
    `script-src ${hash(inline)}`,
    `style-src ${hash(style)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
