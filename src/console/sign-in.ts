import { textField } from './components.js';
import { html, type Html } from './html.js';
import { CONSOLE_BASE } from './layout.js';

/** The sign-in form: an admin token, exchanged for a session (the token itself is not kept in the browser). */
export function signInPage(formToken: string): Html {
  return html`<div class="signin"><p>Sign in with an admin token: one holding the <code>audit:read</code> scope (read-only views) and/or <code>tokens:manage</code> (token management). SCIM connector tokens cannot sign in.</p>
<form class="stacked" method="post" action="${CONSOLE_BASE}/sign-in"><input type="hidden" name="_csrf" value="${formToken}">
${textField('token', 'Admin token', { type: 'password', required: true, hint: 'e.g. from: npm run tokens -- create --name <you> --scopes audit:read', autocomplete: 'off' })}
<div><button type="submit">Sign in</button></div></form></div>`;
}
