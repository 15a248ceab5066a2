import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: string;
  detail?: string;
}

/** A failure with a catalogue code; the detail is shown to the client, so never put internals in it. */
export class ScimError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, detail: string, headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'ScimError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.headers = headers;
  }

  toBody(): ScimErrorBody {
    const entry: { status: number; scimType?: string } = ERROR_CATALOGUE[this.code];
    return {
      schemas: [SCIM_ERROR_SCHEMA],
      status: String(this.status),
      ...(entry.scimType ? { scimType: entry.scimType } : {}),
      detail: this.message,
    };
  }
}
