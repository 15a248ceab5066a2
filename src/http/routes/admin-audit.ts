import { Router, type Request } from 'express';
import { ScimError } from '../../errors/scim-error.js';
import type { AuditEntry } from '../../lifecycle/types.js';
import { AUDIT_CSV_COLUMNS, auditCsvLine, auditEntries, auditPage, type AuditView } from '../../services/audit-trail.js';
import { csvLine } from '../../services/csv.js';
import { CURSOR_SECRET, createCursorCodec } from '../../scim/cursor.js';
import type { Storage } from '../../store/contract.js';
import { principalOf } from '../middleware/authenticate.js';
import { queryParameters } from '../query-parameters.js';
import { sendStreamed } from '../streamed-response.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const PARAMETERS = ['resource', 'actor', 'operation', 'resourceType', 'since', 'until', 'order', 'limit', 'cursor', 'format'];
const FORMATS = ['json', 'ndjson', 'csv'] as const;
const MEDIA_TYPES: Record<(typeof FORMATS)[number], string> = { json: 'application/json', ndjson: 'application/x-ndjson', csv: 'text/csv' };

function formatOf(req: Request, asked: (typeof FORMATS)[number] | undefined): (typeof FORMATS)[number] {
  if (asked) return asked;
  const accepted = req.accepts(Object.values(MEDIA_TYPES));
  return FORMATS.find((format) => MEDIA_TYPES[format] === accepted) ?? 'json';
}

async function* ndjson(entries: AsyncIterable<AuditEntry>): AsyncGenerator<string> {
  for await (const entry of entries) yield `${JSON.stringify(entry)}\n`;
}

async function* csv(entries: AsyncIterable<AuditEntry>): AsyncGenerator<string> {
  yield csvLine(AUDIT_CSV_COLUMNS);
  for await (const entry of entries) yield auditCsvLine(entry);
}

/**
 * GET /admin/audit (mounted behind audit:read): the credential's tenant's trail, filtered by
 * resource (id), actor, operation, resourceType and [since, until), oldest first unless
 * order=newest. JSON answers a page (limit, cursor → nextCursor); format=ndjson or csv (or Accept)
 * streams every entry of the selection.
 */
export function auditRoutes(storage: Storage): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const parameters = queryParameters(req.query, PARAMETERS);
    const view: AuditView = {
      tenant: principalOf(res).tenant,
      resourceId: parameters.text('resource'),
      actor: parameters.text('actor'),
      operation: parameters.text('operation'),
      resourceType: parameters.text('resourceType'),
      since: parameters.instant('since'),
      until: parameters.instant('until'),
      order: parameters.oneOf('order', ['oldest', 'newest']) ?? 'oldest',
    };
    if (view.since && view.until && view.until <= view.since) throw new ScimError('invalidValue', 'The query parameter "until" must be later than "since"');
    const format = formatOf(req, parameters.oneOf('format', FORMATS));
    if (format === 'json') {
      const page = await auditPage(storage, view, parameters.token('cursor'), parameters.wholeNumber('limit', DEFAULT_PAGE, 1, MAX_PAGE), createCursorCodec(await storage.secrets.get(CURSOR_SECRET)));
      res.json({ tenant: view.tenant, count: page.entries.length, entries: page.entries, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
      return;
    }
    for (const name of ['limit', 'cursor']) {
      if (name in (req.query as object)) throw new ScimError('invalidValue', `The query parameter "${name}" pages the JSON answer; an export (${format}) holds every entry selected: narrow it with since and until`);
    }
    const entries = auditEntries(storage, view);
    if (format === 'ndjson') await sendStreamed(res, 200, `${MEDIA_TYPES.ndjson}; charset=utf-8`, ndjson(entries));
    else await sendStreamed(res, 200, `${MEDIA_TYPES.csv}; charset=utf-8`, csv(entries), { 'Content-Disposition': 'attachment; filename="audit.csv"' });
  });
  return router;
}
