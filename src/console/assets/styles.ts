import { createHash } from 'node:crypto';

/**
 * The console's one stylesheet, served at /console/assets/console-<hash>.css (the hash changes with
 * the text, so it may be cached for good). It lives in a module so the build (tsc) ships it with the
 * code: no asset step, and the production image needs only dist/.
 */
export const CONSOLE_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de; --accent: #0550ae; --alarm: #a40e26; --alarm-bg: #ffebe9; --ok: #116329; --ok-bg: #dafbe1; --focus: #bf3989; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
* { box-sizing: border-box; }
body { margin: 0; line-height: 1.5; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip-link { position: absolute; left: 0.5rem; top: -3rem; background: var(--fg); color: #fff; padding: 0.5rem 1rem; z-index: 10; }
.skip-link:focus { top: 0.5rem; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: 0.75rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; margin-right: 1rem; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; color: var(--fg); text-decoration-thickness: 3px; }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: 0.75rem; color: var(--muted); font-size: 0.9rem; }
main { padding: 1.5rem; max-width: 80rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.75rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: 1rem; margin: 0; }
.figure { border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem 1rem; background: var(--bg); }
.figure dt { color: var(--muted); font-size: 0.9rem; }
.figure dd { margin: 0; font-size: 1.8rem; font-weight: 700; }
.figure dd small { display: block; font-size: 0.85rem; font-weight: 400; color: var(--muted); }
.figure.alarm { border-color: var(--alarm); background: var(--alarm-bg); }
.figure.alarm dd { color: var(--alarm); }
.notice, .alert { border-radius: 6px; padding: 0.75rem 1rem; margin: 0 0 1rem; border: 1px solid; }
.notice { border-color: var(--ok); background: var(--ok-bg); }
.alert { border-color: var(--alarm); background: var(--alarm-bg); }
table { border-collapse: collapse; width: 100%; margin: 0 0 1rem; font-size: 0.95rem; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); }
td.empty { color: var(--muted); font-style: italic; }
code, .secret { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.secret { display: block; padding: 0.75rem; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; word-break: break-all; user-select: all; }
form.inline { display: inline-flex; flex-wrap: wrap; align-items: center; gap: 0.35rem; margin: 0 0.35rem 0.35rem 0; }
form.inline select { width: auto; padding: 0.3rem; }
code.id { font-size: 0.8rem; color: var(--muted); }
form.stacked { display: grid; gap: 0.75rem; max-width: 32rem; padding: 1rem; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
label { font-weight: 600; }
.hint { color: var(--muted); font-size: 0.9rem; font-weight: 400; }
input[type="text"], input[type="password"], input[type="search"], select { width: 100%; padding: 0.45rem 0.6rem; border: 1px solid var(--muted); border-radius: 4px; font: inherit; }
fieldset { border: 1px solid var(--line); border-radius: 4px; }
button { font: inherit; padding: 0.4rem 0.9rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: var(--bg); color: var(--accent); }
button.danger { background: var(--alarm); border-color: var(--alarm); }
.badge { display: inline-block; padding: 0 0.5rem; border-radius: 1rem; font-size: 0.85rem; border: 1px solid var(--line); }
.badge.ok { color: var(--ok); border-color: var(--ok); }
.badge.bad { color: var(--alarm); border-color: var(--alarm); }
.signin { max-width: 32rem; margin: 4rem auto; }
`;

export const CONSOLE_CSS_PATH = `/assets/console-${createHash('sha256').update(CONSOLE_CSS).digest('hex').slice(0, 12)}.css`;

/** A favicon of ours: without one the browser asks for /favicon.ico, which is no console resource. */
export const CONSOLE_ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0550ae"/><path d="M4 8h8M8 4v8" stroke="#fff" stroke-width="2"/></svg>';
export const CONSOLE_ICON_PATH = '/assets/console-icon.svg';
