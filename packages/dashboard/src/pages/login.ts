import { html, type Html } from '../html.js';
import { plainPage } from '../layout.js';

export function loginPage(base: string, failed: boolean): Html {
  return plainPage(
    base,
    'Sign in',
    html`<form class="login" method="post" action="${base}/login"><h1>txbox dashboard</h1>
${failed ? html`<p class="warning" role="alert">That token is not right.</p>` : null}
<label for="token">Access token</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button></form>`,
  );
}

export function messagePage(base: string, title: string, text: string): Html {
  return plainPage(base, title, html`<h1>${title}</h1><p>${text}</p><p><a href="${base}/">Back to the dashboard</a></p>`);
}
