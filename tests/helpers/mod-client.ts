/** A plain HTTP client for the moderator console: keeps its cookies, reads CSRF tokens from the pages, follows nothing. */
import { request } from 'node:http';
import { hashPassword } from '../../server/moderation/password';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Set-Cookie lines, as sent. */
  cookies: string[];
}

export function http(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, cookies: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export const MODERATOR = { name: 'mia', password: 'correct horse battery' };
let hashed: Promise<string> | undefined;
/** MODERATORS for a test server: one account, MODERATOR. */
export async function moderators() {
  hashed ??= hashPassword(MODERATOR.password);
  return [{ name: MODERATOR.name, hash: await hashed }];
}

export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

export class ModClient {
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last page that had one. */
  csrf?: string;

  constructor(readonly base: string) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(path: string, options: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size) headers.cookie = this.cookieHeader;
    let body: string | undefined;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await http(this.base + path, { method: options.method ?? (options.form ? 'POST' : 'GET'), headers, body });
    for (const line of res.cookies) {
      const [pair, ...attributes] = line.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      const expired = attributes.some((a) => /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    this.csrf = csrfOf(res.body) ?? this.csrf;
    return res;
  }

  get(path: string) {
    return this.request(path);
  }

  /** Posts a form with the current CSRF token (unless the form says otherwise). */
  post(path: string, form: Record<string, string> = {}) {
    return this.request(path, { form: { ...(this.csrf !== undefined && { _csrf: this.csrf }), ...form } });
  }

  async signIn(name = MODERATOR.name, password = MODERATOR.password) {
    await this.get('/mod/sign-in');
    return this.post('/mod/sign-in', { name, password });
  }
}
