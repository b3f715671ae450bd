import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/env.js';
import { openBrowser, withScreenshot, type TestBrowser } from './browser.js';
import { POISON_ERROR, postgresSetup, runDashboard, serveOnePage, sqliteSetup, TOKEN, type Running, type StoreSetup } from './env.js';

const dead = (setup: StoreSetup) => setup.store.query!.list({ state: 'dead' });

/** Writes healthy messages and two poisoned ones (different topics), and waits until both are dead letters. */
async function poison(setup: StoreSetup, run: Running) {
  await setup.send([1, 2, 3].map((n) => ({ topic: 'order.placed', key: `order-${n}`, payload: { n } })));
  const [orderPoison] = await setup.send({ topic: 'order.placed', key: 'order-7', payload: { poison: true, n: 7 } });
  const [invoicePoison] = await setup.send({ topic: 'invoice.sent', key: 'invoice-9', payload: { poison: true, n: 9 } });
  await eventually(async () => (await dead(setup)).total === 2 && run.producer.messages.length === 3, 10_000, 'two dead letters');
  return { orderPoison: orderPoison!, invoicePoison: invoicePoison! };
}

async function login(b: TestBrowser, url: string, token = TOKEN) {
  const first = await b.page.goto(`${url}/`);
  assert.equal(first?.status(), 401, 'the dashboard is never open');
  await b.page.fill('input[name=token]', token);
  const [answer] = await Promise.all([b.page.waitForNavigation(), b.page.click('button[type=submit]')]);
  return answer;
}

/** A POST through node:http with the headers given, as a tool (or a forged browser request) would send it. */
function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (const [name, makeSetup] of [['sqlite', sqliteSetup], ['postgres', postgresSetup]] as const) {
  describe(`dashboard in Chromium: ${name}`, () => {
    let b: TestBrowser;
    let setup: StoreSetup;
    let run: Running | undefined;
    before(async () => {
      b = await openBrowser();
    });
    after(() => b.close());
    const fresh = async (options: Parameters<typeof runDashboard>[1] = {}) => {
      await run?.close();
      await setup?.close();
      await b.context.clearCookies();
      setup = await makeSetup();
      run = await runDashboard(setup, options);
      return run;
    };
    after(async () => {
      await run?.close();
      await setup?.close();
    });

    it('finds a poisoned message with a filter, redrives it, and sees it delivered under its id', async () => {
      const r = await fresh();
      const { orderPoison } = await poison(setup, r);
      await withScreenshot(b, `${name}-redrive`, async () => {
        await login(b, r.url);
        await b.page.click('#outbox-orders >> text=Dead letters');
        assert.equal(await b.page.locator('table.messages tbody tr').count(), 2);
        await b.page.fill('input[name=topic]', 'order.placed');
        await b.page.fill('input[name=error]', 'schema v2');
        await Promise.all([b.page.waitForNavigation(), b.page.click('form.filters button')]);
        const rows = b.page.locator('table.messages tbody tr');
        assert.equal(await rows.count(), 1, 'the filter finds the one dead letter');
        assert.equal(await rows.first().getAttribute('data-id'), orderPoison);
        assert.match(await rows.first().innerText(), new RegExp(POISON_ERROR));
        r.cure();
        await Promise.all([b.page.waitForNavigation(), rows.first().locator('button', { hasText: 'Redrive' }).click()]);
        assert.match(await b.page.locator('.notice').innerText(), /Redrove 1 dead letter/);
        await eventually(() => r.producer.messages.some((m) => m.id === orderPoison), 10_000, 'the redriven message delivered');
        assert.equal(r.producer.messages.filter((m) => m.id === orderPoison).length, 1, 'delivered once, under the same id');
        assert.equal(await b.page.locator(`tr[data-id="${orderPoison}"]`).count(), 0, 'no longer a dead letter');
        assert.equal(await b.page.locator('table.messages tbody tr').count(), 1, 'the other dead letter stays');
        assert.equal((await b.page.goto(`${r.url}/o/orders/messages/${orderPoison}`))?.status(), 404, 'delivered and deleted: the message is gone');
        assert.equal((await dead(setup)).total, 1);
      });
    });

    it('hides actions in read-only mode and refuses its POSTs', async () => {
      const r = await fresh({ readOnly: true });
      await poison(setup, r);
      await withScreenshot(b, `${name}-read-only`, async () => {
        await login(b, r.url);
        await b.page.goto(`${r.url}/o/orders/messages?state=dead`);
        assert.equal(await b.page.locator('table.messages tbody tr').count(), 2);
        assert.equal(await b.page.locator('button', { hasText: /Redrive|Discard/ }).count(), 0, 'no action is offered');
        assert.equal(await b.page.locator('.badge', { hasText: 'read-only' }).count(), 1);
        const csrf = await b.page.inputValue('form[action$="/logout"] input[name=csrf]');
        // The form the page would have shown, put back by hand and submitted from the page itself.
        const [answer] = await Promise.all([
          b.page.waitForNavigation(),
          // A string: the test's TypeScript has no DOM types.
          b.page.evaluate(`(() => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = ${JSON.stringify(`${r.url}/o/orders/redrive`)};
            form.innerHTML = '<input name="csrf" value=${JSON.stringify(csrf)}><input name="topic" value="order.placed">';
            document.body.append(form);
            form.submit();
          })()`),
        ]);
        assert.equal(answer?.status(), 403, 'a same-origin POST with a valid token is refused all the same');
        assert.match(await b.page.innerText('main'), /read-only/);
        assert.equal((await dead(setup)).total, 2, 'nothing was redriven');
      });
    });

    it('refuses a wrong token with 401', async () => {
      const r = await fresh();
      await withScreenshot(b, `${name}-wrong-token`, async () => {
        const answer = await login(b, r.url, 'not-the-token-at-all');
        assert.equal(answer?.status(), 401);
        assert.match(await b.page.locator('[role=alert]').innerText(), /not right/);
        const bearer = async (token: string) => (await fetch(`${r.url}/`, { headers: { authorization: `Bearer ${token}` } })).status;
        assert.equal(await bearer('wrong'), 401);
        assert.equal(await bearer(TOKEN), 200);
        const forged = await b.context.addCookies([{ name: 'txbox_dash', value: 'made-up.session', url: r.url }]).then(() => b.page.goto(`${r.url}/`));
        assert.equal(forged?.status(), 401, 'a cookie not signed for this token is refused');
      });
    });

    it('rejects a cross-site POST, even one that carries the session cookie and token', async () => {
      const r = await fresh();
      await poison(setup, r);
      r.cure();
      const attacker = await serveOnePage(
        `<form method="post" action="${r.url}/o/orders/redrive"><input name="topic" value="order.placed"></form><script>document.forms[0].submit()</script>`,
      );
      try {
        await withScreenshot(b, `${name}-cross-site`, async () => {
          await login(b, r.url);
          // Another port of the same host is the same site: the SameSite=Strict cookie goes along, so the origin check must stop it.
          const [answer] = await Promise.all([b.page.waitForResponse((res) => res.url().endsWith('/redrive')), b.page.goto(attacker.url)]);
          assert.equal(answer.status(), 403);
          assert.equal((await dead(setup)).total, 2, 'nothing was redriven');
          await b.page.goto(`${r.url}/o/orders/messages?state=dead`);
          const csrf = await b.page.inputValue('form[action$="/redrive"] input[name=csrf]');
          const cookie = (await b.context.cookies(r.url)).map((c) => `${c.name}=${c.value}`).join('; ');
          const body = `csrf=${encodeURIComponent(csrf)}&topic=invoice.sent`;
          const origin = new URL(r.url).origin;
          assert.equal(await post(`${r.url}/o/orders/redrive`, { cookie, origin: 'http://evil.example' }, body), 403, 'a foreign Origin is refused with a valid token');
          assert.equal(await post(`${r.url}/o/orders/redrive`, { cookie, origin, 'sec-fetch-site': 'cross-site' }, body), 403, 'so is a cross-site fetch');
          assert.equal(await post(`${r.url}/o/orders/redrive`, { cookie, origin }, 'topic=invoice.sent'), 403, 'a POST without the token is refused');
          assert.equal((await dead(setup)).total, 2);
          assert.equal(await post(`${r.url}/o/orders/redrive`, { cookie, origin, 'sec-fetch-site': 'same-origin' }, body), 303, 'the same POST from the dashboard itself goes through');
          await eventually(async () => (await dead(setup)).total === 1, 10_000, 'the invoice dead letter redriven');
        });
      } finally {
        await attacker.close();
      }
    });

    it('renders the read views with JavaScript disabled', async () => {
      const r = await fresh();
      const { orderPoison } = await poison(setup, r);
      const plain = await openBrowser({ javaScriptEnabled: false });
      try {
        await withScreenshot(plain, `${name}-no-js`, async () => {
          const answer = await login(plain, r.url);
          assert.equal(answer?.status(), 200, 'the login form works without scripts');
          await eventually(async () => {
            await plain.page.reload();
            return (await plain.page.locator('details.samples[open] table tbody tr').count()) > 0;
          }, 5_000, 'the samples table');
          assert.equal(await plain.page.locator('.chart-canvas canvas').count(), 0, 'no chart without scripts');
          assert.equal(await plain.page.locator('#outbox-orders .states .dead .n').innerText(), '2');
          await plain.page.click('#outbox-orders >> text=Dead letters');
          await plain.page.click(`a[href$="/messages/${orderPoison}"]`);
          assert.match(await plain.page.locator('dl.fields').innerText(), new RegExp(POISON_ERROR));
          await plain.page.goto(`${r.url}/o/orders/blocked`);
          assert.match(await plain.page.locator('table').innerText(), /order-7/);
        });
      } finally {
        await plain.close();
      }
    });
  });
}
