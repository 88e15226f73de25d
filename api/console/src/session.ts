// The admin's session, as the apps hold theirs: the same login and refresh, tokens kept in
// this module's memory only (never in localStorage or sessionStorage, so a reload or a closed
// tab signs out). A session the server ends sends the admin back to sign-in.

import {
  AdminApi,
  AuthApi,
  Configuration,
  FetchError,
  MeApi,
  Platform,
  ResponseError,
  SigningApi,
  type MeResponse,
  type TokenResponse,
} from './api';
import { t } from './i18n';

/** A failure as the console shows it: the problem's title and the request's id. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly requestId: string | undefined,
    readonly detail?: string,
  ) {
    super(title);
  }
}

export async function problemOf(error: unknown): Promise<Problem> {
  if (error instanceof Problem) return error;
  if (error instanceof ResponseError) {
    const resp = error.response;
    const body = (await resp.json().catch(() => ({}))) as Record<string, unknown>;
    const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : undefined);
    return new Problem(
      resp.status,
      text('code') ?? `http_${resp.status}`,
      text('title') ?? resp.statusText,
      text('request_id') ?? resp.headers.get('x-request-id') ?? undefined,
      text('detail'),
    );
  }
  if (error instanceof FetchError) return new Problem(0, 'network', t('network'), undefined);
  return new Problem(0, 'unexpected', String(error), undefined);
}

interface Held {
  access: string;
  refresh: string;
  timer: number;
}

let held: Held | null = null;
let refreshing: Promise<void> | null = null;
let me: MeResponse | null = null;
let onEnded: (why: Problem | null) => void = () => {};

const config = new Configuration({
  basePath: window.location.origin,
  accessToken: async () => held?.access ?? '',
});
export const adminApi = new AdminApi(config);
export const signingApi = new SigningApi(config);
const authApi = new AuthApi(config);
const meApi = new MeApi(config);

/** This browser tab, as a device of the admin's session list. */
const device = {
  deviceId: `console-${crypto.randomUUID()}`,
  platform: Platform.Web,
  name: 'Bảng quản trị (trình duyệt)',
  appVersion: '1.0.0',
};

export function whenEnded(handler: (why: Problem | null) => void): void {
  onEnded = handler;
}

export function signedIn(): MeResponse | null {
  return held ? me : null;
}

function hold(tokens: TokenResponse): void {
  if (held) window.clearTimeout(held.timer);
  // Refresh a minute before the access token expires, so no call meets `token_expired`.
  const ms = Math.max(10, tokens.expiresIn - 60) * 1000;
  const timer = window.setTimeout(() => void refresh().catch(() => {}), ms);
  held = { access: tokens.accessToken, refresh: tokens.refreshToken, timer };
}

function drop(): void {
  if (held) window.clearTimeout(held.timer);
  held = null;
  me = null;
}

export async function signIn(username: string, password: string): Promise<MeResponse> {
  const tokens = await authApi
    .login({ loginRequest: { username, password, device } })
    .catch(async (e) => Promise.reject(await problemOf(e)));
  hold(tokens);
  if (tokens.mustChangePassword) {
    await signOut();
    throw new Problem(403, 'password_change_required', t('passwordChangeFirst'), undefined);
  }
  const profile = await call(() => meApi.getMe());
  if (!profile.roles.includes('admin')) {
    await signOut();
    throw new Problem(403, 'forbidden', t('notAdmin'), undefined);
  }
  me = profile;
  return profile;
}

export async function signOut(): Promise<void> {
  if (held) await authApi.logout().catch(() => {});
  drop();
}

async function refresh(): Promise<void> {
  if (!held) return;
  refreshing ??= authApi
    .refresh({ refreshRequest: { refreshToken: held.refresh } })
    .then(hold)
    .catch(async (e) => {
      end(await problemOf(e));
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function end(why: Problem): void {
  drop();
  onEnded(why);
}

/**
 * Runs one call of the generated client: an expired access token is refreshed and the call
 * made again; a session the server ended signs the admin out. Failures come back as `Problem`.
 */
export async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    let problem = await problemOf(e);
    if (problem.code === 'token_expired' && held) {
      await refresh();
      try {
        return await run();
      } catch (again) {
        problem = await problemOf(again);
      }
    }
    if (problem.status === 401) end(problem);
    throw problem;
  }
}
