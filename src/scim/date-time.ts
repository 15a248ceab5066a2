/**
 * RFC 3339 date-times (RFC 7643 §2.3.5 dateTime, filter operands). Strict: `Date` alone would accept
 * "Testing, 1, 2" and roll "02-30" over into March, and scimmy's check relies on it.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-](\d{2}):(\d{2}))?$/i;

/**
 * The instant `text` names, or undefined. Without a time-zone offset the text is read as UTC when
 * `zone` is 'utcIfAbsent' (xsd:dateTime allows leaving it out) and refused when it is 'required'.
 */
export function parseDateTime(text: string, zone: 'required' | 'utcIfAbsent' = 'required'): Date | undefined {
  const match = RFC3339.exec(text);
  if (!match || (match[7] === undefined && zone === 'required')) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map(Number);
  const [offsetHour = 0, offsetMinute = 0] = match.slice(8, 10).map((group) => Number(group ?? 0));
  // Every field's range is checked because Date silently rolls "02-30" over into March.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const dateInRange = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
  const timeInRange = hour <= 23 && minute <= 59 && second <= 59 && offsetHour <= 23 && offsetMinute <= 59;
  const date = new Date(match[7] === undefined ? `${text.toUpperCase()}Z` : text.toUpperCase());
  return dateInRange && timeInRange && !Number.isNaN(date.getTime()) ? date : undefined;
}
