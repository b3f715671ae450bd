import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request as the dashboard reads it, whatever server it came from. */
export interface DashRequest {
  readonly method: string;
  /** The path below the dashboard's base path, starting with `/`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** A header by lower-case name. */
  header(name: string): string | undefined;
  /** The request came over TLS (or a proxy says so): cookies get `Secure`. */
  readonly secure: boolean;
  /** The form fields of a POST. */
  form(): Promise<URLSearchParams>;
}

export interface DashResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array;
}

/** Form bodies are small; a bigger one is refused rather than buffered. */
const MAX_BODY = 64 * 1024;

export class BodyTooLarge extends Error {}

/** Reads a node:http request. `req.body` already parsed by Express or Fastify is used as it is. */
export function fromNode(req: IncomingMessage & { body?: unknown; originalUrl?: string }, basePath: string): DashRequest | null {
  const url = new URL(req.originalUrl ?? req.url ?? '/', 'http://dashboard.invalid');
  const path = below(url.pathname, basePath);
  if (path === null) return null;
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  return {
    method: req.method ?? 'GET',
    path,
    query: url.searchParams,
    header,
    secure: Boolean((req.socket as { encrypted?: boolean } | undefined)?.encrypted) || header('x-forwarded-proto') === 'https',
    async form() {
      if (req.body !== undefined && req.body !== null) {
        if (typeof req.body === 'string') return new URLSearchParams(req.body);
        if (typeof req.body === 'object' && !(req.body instanceof Uint8Array)) return new URLSearchParams(req.body as Record<string, string>);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY) throw new BodyTooLarge();
        chunks.push(chunk as Buffer);
      }
      return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    },
  };
}

export function toNode(res: ServerResponse, r: DashResponse): void {
  res.writeHead(r.status, r.headers);
  res.end(r.body);
}

/** Reads a Fetch API Request (Hono, Deno, Bun, Cloudflare...). */
export function fromFetch(request: Request, basePath: string): DashRequest | null {
  const url = new URL(request.url);
  const path = below(url.pathname, basePath);
  if (path === null) return null;
  const header = (name: string) => request.headers.get(name) ?? undefined;
  return {
    method: request.method,
    path,
    query: url.searchParams,
    header,
    secure: url.protocol === 'https:' || header('x-forwarded-proto') === 'https',
    async form() {
      const text = await request.text();
      if (text.length > MAX_BODY) throw new BodyTooLarge();
      return new URLSearchParams(text);
    },
  };
}

export function toFetch(r: DashResponse): Response {
  return new Response(r.status === 204 || r.status === 304 ? null : r.body, { status: r.status, headers: r.headers });
}

/** The path below `basePath`, or null when the request is not for the dashboard. */
function below(pathname: string, basePath: string): string | null {
  if (basePath === '') return pathname || '/';
  if (pathname === basePath) return '/';
  return pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : null;
}
