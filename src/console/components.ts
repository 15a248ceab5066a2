import { html, type Html, type Renderable } from './html.js';
import type { PageContext } from './page.js';

/**
 * The building blocks pages render with, so every page looks and behaves alike (and stays
 * accessible: tables have captions and header cells, controls have labels, alarms have text).
 */

/** The hidden field every state-changing form carries; the router refuses a POST without it (403). */
export function csrfField(ctx: Pick<PageContext, 'session'>): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.session.csrfToken}">`;
}

/** A one-button form posting to a page action (e.g. revoke), CSRF field included. */
export function actionButton(ctx: PageContext, action: string, label: string, fields: Record<string, string> = {}, style: 'primary' | 'secondary' | 'danger' = 'secondary'): Html {
  return html`<form class="inline" method="post" action="${action}">${csrfField(ctx)}${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}<button type="submit" class="${style}">${label}</button></form>`;
}

export interface Figure {
  label: string;
  value: number | string;
  /** Shown under the value. */
  detail?: string | undefined;
  /** Marks the figure as an alarm (red, and the word "Alarm" for screen readers). */
  alarm?: boolean | undefined;
  /** `data-figure` attribute, for tests to find the figure. */
  key: string;
}

export function figures(items: readonly Figure[]): Html {
  return html`<dl class="figures">${items.map(
    (item) =>
      html`<div class="figure${item.alarm ? ' alarm' : ''}" data-figure="${item.key}"><dt>${item.alarm ? html`<span class="badge bad">Alarm</span> ` : ''}${item.label}</dt><dd><span class="value">${item.value}</span>${item.detail ? html`<small>${item.detail}</small>` : ''}</dd></div>`,
  )}</dl>`;
}

export interface Column<Row> {
  header: string;
  cell(row: Row): Renderable;
}

/** A table with a caption; `empty` is shown in one cell when there are no rows. */
export function table<Row>(caption: string, columns: readonly Column<Row>[], rows: readonly Row[], empty = 'None'): Html {
  return html`<table><caption>${caption}</caption><thead><tr>${columns.map((column) => html`<th scope="col">${column.header}</th>`)}</tr></thead><tbody>${
    rows.length === 0 ? html`<tr><td class="empty" colspan="${columns.length}">${empty}</td></tr>` : rows.map((row) => html`<tr>${columns.map((column) => html`<td>${column.cell(row)}</td>`)}</tr>`)
  }</tbody></table>`;
}

/** An instant as a <time> element (ISO in the attribute, readable UTC text). */
export function dateTime(value: Date | string | null | undefined): Html | string {
  if (value === null || value === undefined) return '—';
  const date = typeof value === 'string' ? new Date(value) : value;
  return html`<time datetime="${date.toISOString()}">${date.toISOString().replace('T', ' ').slice(0, 19)} UTC</time>`;
}

/** A duration in seconds, e.g. "3 h 12 min"; '—' for none. */
export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h`;
}

export function badge(text: string, tone: 'ok' | 'bad' | 'plain' = 'plain'): Html {
  return html`<span class="badge ${tone}">${text}</span>`;
}

/** A labelled text input (the label is tied to the control, a hint is announced with it). */
export function textField(name: string, label: string, options: { value?: string; hint?: string; required?: boolean; type?: 'text' | 'password' | 'search'; autocomplete?: string } = {}): Html {
  const id = `field-${name}`;
  return html`<div><label for="${id}">${label}${options.hint ? html` <span class="hint" id="${id}-hint">${options.hint}</span>` : ''}</label>
<input id="${id}" name="${name}" type="${options.type ?? 'text'}" value="${options.value ?? ''}"${options.required ? html` required` : ''}${options.hint ? html` aria-describedby="${id}-hint"` : ''} autocomplete="${options.autocomplete ?? 'off'}"></div>`;
}
