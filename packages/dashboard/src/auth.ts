import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DashboardAuth } from './options.js';
import type { DashRequest } from './request.js';

export const COOKIE = 'txbox_dash';

export type Identity =
  /** A script's `Authorization: Bearer`: a browser never adds it to a cross-site request, so it needs no CSRF token. */
  | { readonly via: 'bearer' }
  /** A browser session: actions must carry the session's CSRF token. `setCookie` starts a new one. */
  | { readonly via: 'cookie' | 'basic'; readonly session: string; readonly setCookie?: string };

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const same = (a: string, b: string) => timingSafeEqual(sha256(a), sha256(b));

/**
 * Authentication and CSRF tokens. The signing key is derived from the configured credentials, so
 * every process serving the same dashboard accepts the same sessions, and changing the token or
 * password ends every session and invalidates every CSRF token at once.
 */
export function createAuth(auth: DashboardAuth, cookiePath: string) {
  const key = sha256(`txbox-dashboard:v1\0${JSON.stringify(auth)}`);
  const sign = (text: string) => createHmac('sha256', key).update(text).digest('base64url');

  const sessionFromCookie = (req: DashRequest): string | null => {
    const value = readCookie(req.header('cookie'), COOKIE);
    const [sid, mac] = (value ?? '').split('.');
    return sid && mac && same(mac, sign(`session:${sid}`)) ? sid : null;
  };
  const newSession = () => {
    const sid = randomBytes(18).toString('base64url');
    return { sid, cookie: (secure: boolean) => `${COOKIE}=${sid}.${sign(`session:${sid}`)}; Path=${cookiePath}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}` };
  };

  return {
    mode: 'token' in auth ? ('token' as const) : ('basic' as const),

    /** Who is asking, or null (answer 401). */
    identify(req: DashRequest): Identity | null {
      const header = req.header('authorization') ?? '';
      if ('token' in auth) {
        if (/^Bearer /i.test(header)) return same(header.slice(7).trim(), auth.token) ? { via: 'bearer' } : null;
        const session = sessionFromCookie(req);
        return session ? { via: 'cookie', session } : null;
      }
      if (!/^Basic /i.test(header)) return null;
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      if (!same(decoded, `${auth.basic.user}:${auth.basic.password}`)) return null;
      // Basic auth has no session of its own: a cookie gives the browser one, for its CSRF token.
      const session = sessionFromCookie(req);
      if (session) return { via: 'basic', session };
      const fresh = newSession();
      return { via: 'basic', session: fresh.sid, setCookie: fresh.cookie(req.secure) };
    },

    /** Token mode's login form: a session cookie when the token is right, else null. */
    login(token: unknown, secure: boolean): string | null {
      if (!('token' in auth) || typeof token !== 'string' || !same(token, auth.token)) return null;
      return newSession().cookie(secure);
    },

    logoutCookie: () => `${COOKIE}=; Path=${cookiePath}; HttpOnly; SameSite=Strict; Max-Age=0`,

    csrfToken: (session: string) => sign(`csrf:${session}`),

    checkCsrf(identity: Identity, given: unknown): boolean {
      if (identity.via === 'bearer') return true;
      return typeof given === 'string' && same(given, sign(`csrf:${identity.session}`));
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;

/**
 * A state-changing request must come from the dashboard's own pages: a browser says where a
 * request comes from (Sec-Fetch-Site, Origin), and a page of another site cannot hide it.
 * Tools that send neither (curl) are judged by their credentials and CSRF token alone.
 */
export function fromSameOrigin(req: DashRequest): boolean {
  const site = req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = req.header('origin');
  if (origin === undefined) return true;
  const host = req.header('x-forwarded-host') ?? req.header('host');
  if (!host || origin === 'null') return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
