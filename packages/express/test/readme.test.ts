import { randomUUID } from 'node:crypto';
import { type AddressInfo } from 'node:net';
import { createGoToAuth, createGoToOAuth } from '@goto-auth/core';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import {
  Browser,
  expectReadmeShows,
  expectReadmeSignIn,
  stubGoToEnv,
} from '@goto-auth/test-support';
import { freePort } from '@goto-auth/test-support/net';
import express from 'express';
import { expect, it, vi } from 'vitest';
import { goToAuth, goToSignIn, goToUser } from '../src/index.js';
import { emulator, onCleanup } from './helpers.js';

it('runs the README usage against the emulator', async () => {
  const emu = await emulator();
  stubGoToEnv(emu);

  // --- README usage (the imports are above; the port is 0 here) ---
  const auth = createGoToAuth({
    clientId: process.env.GOTO_CLIENT_ID ?? '',
    userId: process.env.GOTO_USER_ID ?? '',
    password: process.env.GOTO_PASSWORD ?? '',
    baseUrl: process.env.GOTO_BASE_URL, // optional: https://api.getgo.com by default
  });
  const app = express();
  app.get('/goto/me', goToAuth(auth), async (req, res) => {
    const me = await fetch(`${auth.baseUrl}/admin/rest/v1/me`, {
      headers: { authorization: `Bearer ${req.goto.accessToken}` },
    });
    res.status(me.status).json(await me.json());
  });
  const server = app.listen(0, '127.0.0.1');
  // --- end of README usage ---
  onCleanup(() => auth.close());
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise((resolve) => server.once('listening', resolve));

  const response = await fetch(
    `http://127.0.0.1:${(server.address() as AddressInfo).port}/goto/me`,
  );

  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ organizerKey: EMULATOR_DEFAULTS.organizerKey });
  expect(emu.counters.passwordGrants).toBe(1);
});

it('runs the README health check: 503 before a token, 200 while one serves, 503 with the code', async () => {
  const emu = await emulator();
  const auth = createGoToAuth({
    clientId: EMULATOR_DEFAULTS.clientId,
    userId: EMULATOR_DEFAULTS.userId,
    password: EMULATOR_DEFAULTS.password,
    baseUrl: emu.url,
    logger: false,
    retry: false,
    minGrantInterval: 0,
  });
  onCleanup(() => auth.close());
  const app = express();

  // --- README health check ---
  app.get('/health/goto', (_req, res) => {
    const { serving: up, state, lastError } = auth.status();
    res.status(up ? 200 : 503).json({ status: up ? 'up' : 'down', state, code: lastError?.code });
  });
  // --- end of README health check ---

  const server = app.listen(0, '127.0.0.1');
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise((resolve) => server.once('listening', resolve));
  const health = async () => {
    const response = await fetch(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/health/goto`,
    );
    return { status: response.status, body: await response.json() };
  };

  expect(await health()).toEqual({ status: 503, body: { status: 'down', state: 'empty' } });
  await auth.getToken();
  expect(await health()).toEqual({ status: 200, body: { status: 'up', state: 'valid' } });
  emu.revokeAll();
  auth.invalidate((await auth.getToken()).accessToken);
  emu.fault({ type: 'status', status: 503 });
  await auth.getToken().catch(() => undefined);
  const down = await health();
  expect(down.status).toBe(503);
  expect(down.body).toMatchObject({ status: 'down', code: 'SERVER_ERROR' });
});

/** What the README's sign-in code uses of express-session's `req.session`. */
interface ReadmeSession {
  principal?: string;
  regenerate(callback: (error?: unknown) => void): void;
}

declare global {
  namespace Express {
    interface Request {
      /** Set by the stand-in for express-session below (readme test only). */
      session: ReadmeSession;
    }
  }
}

/**
 * A stand-in for express-session (not a dependency here): a random id in a cookie, the data in
 * memory, `regenerate` giving a new id.
 */
function session(_options: {
  secret: string;
  resave: boolean;
  saveUninitialized: boolean;
}): express.RequestHandler {
  const data = new Map<string, { principal?: string }>();
  return (req, res, next) => {
    const sid = /(?:^|;\s*)connect\.sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const bind = (id: string | undefined) => {
      const stored = id === undefined ? {} : (data.get(id) ?? {});
      req.session = Object.assign(stored, {
        regenerate(callback: (error?: unknown) => void) {
          const fresh = randomUUID();
          data.set(fresh, {});
          res.cookie('connect.sid', fresh, { httpOnly: true });
          bind(fresh);
          callback();
        },
      });
      if (id !== undefined) data.set(id, req.session);
    };
    bind(sid);
    next();
  };
}

it('runs the README sign-in: login, consent, callback, then the user’s token on req.goto', async () => {
  const emu = await emulator();
  const port = await freePort();
  vi.stubEnv('GOTO_CLIENT_ID', EMULATOR_DEFAULTS.clientId);
  vi.stubEnv('GOTO_CLIENT_SECRET', EMULATOR_DEFAULTS.clientSecret);
  vi.stubEnv('GOTO_REDIRECT_URI', `http://127.0.0.1:${port}/auth/goto/callback`);
  vi.stubEnv('SESSION_SECRET', 'a-session-secret');
  onCleanup(() => vi.unstubAllEnvs());

  // --- README sign-in (the imports are above; baseUrl points at the emulator here) ---
  const oauth = createGoToOAuth({
    clientId: process.env.GOTO_CLIENT_ID ?? '',
    clientSecret: process.env.GOTO_CLIENT_SECRET ?? '',
    redirectUri: process.env.GOTO_REDIRECT_URI ?? '', // https://app.example.com/auth/goto/callback
    baseUrl: emu.url,
  });
  const app = express();
  app.use(
    session({ secret: process.env.SESSION_SECRET ?? '', resave: false, saveUninitialized: false }),
  );
  app.use(
    goToSignIn(oauth, {
      authorization: { scope: 'identity:scim.me' },
      // A new session id at sign-in (against session fixation), then remember the principal.
      onSignIn: (req, _res, { principal }) =>
        new Promise<void>((resolve, reject) => {
          req.session.regenerate((error) => {
            if (error) return reject(error);
            req.session.principal = principal;
            resolve();
          });
        }),
    }),
  );
  app.get(
    '/goto/me',
    goToUser(oauth, (req) => req.session.principal),
    async (req, res) => {
      const me = await fetch(`${oauth.baseUrl}/admin/rest/v1/me`, {
        headers: { authorization: `Bearer ${req.goto.accessToken}` },
      });
      res.status(me.status).json(await me.json());
    },
  );
  // --- end of README sign-in ---
  onCleanup(() => oauth.close());
  const server = app.listen(port, '127.0.0.1');
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${port}`;

  const browser = new Browser({ close: true });
  expect((await browser.get(`${base}/goto/me`)).status).toBe(401);
  const login = await browser.get(`${base}/auth/goto/login?returnTo=/goto/me`);
  expect(new URL(login.headers.get('location') ?? '').searchParams.get('scope')).toBe(
    'identity:scim.me',
  );
  // The emulator's consent page, answered at once for its default user.
  await expectReadmeSignIn(browser, login, base, '/goto/me');

  // The README shows this very code.
  expectReadmeShows(import.meta.url, '## Sign in with GoTo', 20);
});
