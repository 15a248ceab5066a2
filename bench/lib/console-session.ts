function cookiesOf(response: Response): string {
  return response.headers.getSetCookie().map((cookie) => cookie.split(';', 1)[0]).join('; ');
}

/** Signs in to the console through its form as a browser does; returns the session cookie. */
export async function signIn(base: string, token: string): Promise<string> {
  const form = await fetch(`${base}/console/sign-in`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error('the sign-in form has no _csrf field');
  const answer = await fetch(`${base}/console/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookiesOf(form) }, body: new URLSearchParams({ _csrf: csrf, token }), redirect: 'manual' });
  if (answer.status !== 303) throw new Error(`sign-in answered ${answer.status}`);
  return cookiesOf(answer);
}
