import { createDirectoryReader, type DirectoryReader } from '../../services/directory.js';
import { html, type Html } from '../html.js';
import type { PageContext } from '../page.js';

/** Rows per page of every console list. */
export const PAGE_SIZE = 50;

export async function directoryOf(ctx: PageContext): Promise<DirectoryReader> {
  return createDirectoryReader(ctx.deps.storage, await ctx.deps.cursors());
}

/** "Next page" (the same query with the next cursor, under `param`), and back to the first page once paging. */
export function pager(ctx: PageContext, path: string, nextCursor: string | undefined, param = 'cursor'): Html {
  const query = (cursor: string | undefined) => {
    const next = new URLSearchParams(ctx.query);
    if (cursor === undefined) next.delete(param);
    else next.set(param, cursor);
    const text = next.toString();
    return ctx.href(path) + (text ? `?${text}` : '');
  };
  const paging = ctx.query.get(param);
  if (!nextCursor && !paging) return html``;
  return html`<nav class="pager" aria-label="Pages">${paging ? html`<a href="${query(undefined)}">First page</a> ` : ''}${nextCursor ? html`<a href="${query(nextCursor)}" rel="next">Next page</a>` : ''}</nav>`;
}

