import type { IncomingMessage, ServerResponse } from 'node:http';
import { asset } from './assets.js';
import { createAuth, fromSameOrigin, type Identity } from './auth.js';
import { readBacklog } from './backlog.js';
import { BadFilter, parseFilter } from './filters.js';
import type { Html } from './html.js';
import type { PageContext } from './layout.js';
import { resolveDashboardOptions, type DashboardOptions, type DashboardOutbox } from './options.js';
import { blockedPage } from './pages/blocked.js';
import { detailsPage } from './pages/details.js';
import { loginPage, messagePage } from './pages/login.js';
import { messagesPage } from './pages/messages.js';
import { overviewPage } from './pages/overview.js';
import { schedulesPage } from './pages/schedules.js';
import { BodyTooLarge, fromFetch, fromNode, toFetch, toNode, type DashRequest, type DashResponse } from './request.js';
import { createSampler } from './sampler.js';
import type { RelayEventLike } from './types.js';

export interface Dashboard {
  /** node:http handler, and Express middleware: requests outside the base path go to `next` (else 404). */
  node(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Fetch-style handler (Hono, Bun, Deno...): null for requests outside the base path. */
  fetch(request: Request): Promise<Response | null>;
  /** Pass as the relay's `onEvent` (or call it from yours): throughput and schedule runs come from it. */
  onEvent(event: RelayEventLike): void;
  /** Starts the sampler (the first request also does). Idempotent. */
  start(): void;
  /** Stops the sampler. Idempotent. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const htmlResponse = (status: number, page: Html, extra: Record<string, string> = {}): DashResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...extra },
  body: page.text,
});

const NOTICES: Record<string, string> = { redriven: 'Redrove {n} dead letter(s): they are pending again, under their ids.', discarded: 'Discarded {n} dead letter(s).' };

export function createDashboard(options: DashboardOptions): Dashboard {
  const o = resolveDashboardOptions(options);
  const base = o.basePath;
  const auth = createAuth(o.auth, base || '/');
  const sampler = createSampler(o.outboxes, o.sampleIntervalMs);
  const outboxes = new Map(o.outboxes.map((ob) => [ob.name, ob]));
  const redirect = (location: string, extra: Record<string, string> = {}): DashResponse => ({ status: 303, headers: { location, ...SECURITY_HEADERS, ...extra }, body: '' });
  const refuse = (status: number, title: string, text: string, extra: Record<string, string> = {}) => htmlResponse(status, messagePage(base, title, text), extra);

  const context = (id: Identity): PageContext => ({
    base,
    csrf: id.via === 'bearer' ? null : auth.csrfToken(id.session),
    readOnly: o.readOnly,
    outboxes: [...outboxes.keys()],
    now: Date.now(),
    canLogout: id.via === 'cookie',
  });

  const unauthorized = (): DashResponse =>
    auth.mode === 'token' ? htmlResponse(401, loginPage(base, false)) : refuse(401, 'Sign in', 'This dashboard needs a user name and password.', { 'www-authenticate': 'Basic realm="txbox", charset="UTF-8"' });

  async function page(req: DashRequest, id: Identity): Promise<DashResponse> {
    const ctx = context(id);
    if (req.path === '/') {
      const views = await Promise.all(
        o.outboxes.map(async (outbox) => ({
          outbox,
          backlog: await readBacklog(outbox.store, ctx.now).catch(() => null),
          samples: sampler.samples(outbox.name),
          fed: sampler.fed(outbox.name),
          inFlightVisible: outbox.store.query!.inFlightVisible,
          blocked: await outbox.store.query!.blockedKeys({ limit: 100 }).then(
            (page) => ({ count: page.keys.length, more: page.next !== null }),
            () => null,
          ),
        })),
      );
      return htmlResponse(200, overviewPage(ctx, views));
    }
    const m = /^\/o\/([^/]+)(\/.*)?$/.exec(req.path);
    const outbox = m ? outboxes.get(decodeURIComponent(m[1]!)) : undefined;
    if (!outbox) return refuse(404, 'Not found', 'There is no such page.');
    const rest = m![2] ?? '/messages';
    const q = outbox.store.query!;
    const notice = noticeOf(req.query);
    if (rest === '/messages') {
      const parsed = parseFilter(req.query, ctx.now);
      const cursor = req.query.get('cursor') || null;
      const list = await q.list({ ...parsed.filter, limit: 50, cursor });
      return htmlResponse(200, messagesPage(ctx, { outbox: outbox.name, parsed, page: list, cursor, notice }));
    }
    const detail = /^\/messages\/([0-9a-f-]{36})$/.exec(rest);
    if (detail) {
      const message = await q.get(detail[1]!);
      if (!message) return refuse(404, 'No such message', 'No message has this id now: it was delivered (and deleted), discarded, or never written.');
      return htmlResponse(200, detailsPage(ctx, outbox.name, message, notice));
    }
    if (rest === '/blocked') {
      const cursor = req.query.get('cursor') || null;
      return htmlResponse(200, blockedPage(ctx, outbox.name, await q.blockedKeys({ limit: 50, cursor }), cursor));
    }
    if (rest === '/schedules') {
      const list = outbox.schedules ? await outbox.schedules.list() : null;
      return htmlResponse(200, schedulesPage(ctx, outbox.name, list, (name) => sampler.lastFired(outbox.name, name)));
    }
    return refuse(404, 'Not found', 'There is no such page.');
  }

  async function action(req: DashRequest, id: Identity | null): Promise<DashResponse> {
    // A page of another site may post a form here with the user's credentials: the browser says so.
    if (!fromSameOrigin(req)) return refuse(403, 'Refused', 'This request did not come from the dashboard’s own pages.');
    const form = await req.form();
    if (req.path === '/login') {
      const cookie = auth.login(form.get('token'), req.secure);
      return cookie ? redirect(`${base}/`, { 'set-cookie': cookie }) : htmlResponse(401, loginPage(base, true));
    }
    if (!id) return unauthorized();
    if (!auth.checkCsrf(id, form.get('csrf'))) return refuse(403, 'Refused', 'The form’s security token is missing or belongs to another session: reload the page and try again.');
    if (req.path === '/logout') return redirect(`${base}/login`, { 'set-cookie': auth.logoutCookie() });
    if (o.readOnly) return refuse(403, 'Read-only', 'This dashboard is read-only.');
    const m = /^\/o\/([^/]+)\/(redrive|discard)$/.exec(req.path);
    const outbox = m ? outboxes.get(decodeURIComponent(m[1]!)) : undefined;
    if (!outbox) return refuse(404, 'Not found', 'There is no such action.');
    return act(outbox, m![2] as 'redrive' | 'discard', form);
  }

  async function act(outbox: DashboardOutbox, verb: 'redrive' | 'discard', form: URLSearchParams): Promise<DashResponse> {
    const done = verb === 'redrive' ? 'redriven' : 'discarded';
    const single = form.get('id');
    if (single) {
      const n = verb === 'redrive' ? await outbox.store.requeueDeadLetters([single]) : await outbox.store.discardDeadLetters([single]);
      // Back to the dead letters, not to the message: a redriven message may be delivered (and gone) by the time the page loads.
      return redirect(`${base}/o/${encodeURIComponent(outbox.name)}/messages?state=dead&done=${done}&n=${n}`);
    }
    form.delete('state');
    const { filter, fields } = parseFilter(form, Date.now(), 'dead');
    const { state: _dead, ...deadFilter } = filter;
    const position = form.get('position') === 'end' ? 'end' : 'keep';
    const n = verb === 'redrive' ? await outbox.store.query!.redrive(deadFilter, { position }) : await outbox.store.query!.discard(deadFilter);
    const query = new URLSearchParams(Object.entries(fields).filter(([, v]) => v !== ''));
    query.set('done', done);
    query.set('n', String(n));
    return redirect(`${base}/o/${encodeURIComponent(outbox.name)}/messages?${query}`);
  }

  async function handle(req: DashRequest): Promise<DashResponse> {
    sampler.start();
    if (req.path.startsWith('/assets/') && (req.method === 'GET' || req.method === 'HEAD')) {
      return (await asset(req.path.slice('/assets/'.length))) ?? refuse(404, 'Not found', 'There is no such file.');
    }
    const id = auth.identify(req);
    try {
      if (req.method === 'POST') return await action(req, id);
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(405, 'Not allowed', 'Only GET and POST are served.', { allow: 'GET, HEAD, POST' });
      if (req.path === '/login') return auth.mode === 'token' ? htmlResponse(200, loginPage(base, false)) : redirect(`${base}/`);
      if (!id) return unauthorized();
      const response = await page(req, id);
      return id.via !== 'bearer' && id.setCookie ? { ...response, headers: { ...response.headers, 'set-cookie': id.setCookie } } : response;
    } catch (error) {
      if (error instanceof BodyTooLarge) return refuse(413, 'Too large', 'The form was too large.');
      if (error instanceof BadFilter || (error as { code?: unknown })?.code === 'INVALID_ARGUMENT') return refuse(400, 'Bad request', (error as Error).message);
      return refuse(500, 'The store failed', (error as Error)?.message ?? String(error));
    }
  }

  return {
    node(req, res, next) {
      const r = fromNode(req, base);
      if (!r) {
        if (next) next();
        else toNode(res, refuse(404, 'Not found', 'There is no such page.'));
        return;
      }
      handle(r).then(
        (response) => toNode(res, response),
        (error: unknown) => (next ? next(error) : toNode(res, refuse(500, 'Error', String(error)))),
      );
    },
    async fetch(request) {
      const r = fromFetch(request, base);
      return r ? toFetch(await handle(r)) : null;
    },
    onEvent: (event) => sampler.onEvent(event),
    start: () => sampler.start(),
    close: () => sampler.stop(),
  };
}

function noticeOf(query: URLSearchParams): string | null {
  const template = NOTICES[query.get('done') ?? ''];
  const n = Number(query.get('n'));
  return template && Number.isInteger(n) ? template.replace('{n}', String(n)) : null;
}
