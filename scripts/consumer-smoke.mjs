#!/usr/bin/env node
// Consumer smoke tests: what a user gets from npm, checked the way a user would use it.
//
// Builds the public packages, `pnpm pack`s each (which rewrites `workspace:` ranges), installs
// the tarballs with npm into fresh projects under os.tmpdir() (outside the workspace, so nothing
// resolves from it) and then:
//   - runs a short program per package in an ESM project (`import`) and a CommonJS project
//     (`require`), against a real @goto-auth/emulator from its tarball;
//   - type-checks a short program per package with the workspace's TypeScript: module node16
//     (.mts and .cts), node20 (.cts through require(esm), for ES-module-only peers such as ky
//     and NestJS 12), bundler, legacy node10 and, for runtime-agnostic packages, without
//     @types/node; skipLibCheck is off under node16/node20/web so our .d.mts/.d.cts files are
//     checked whole, and notAny() catches a type that failed to resolve everywhere;
//   - checks each tarball: no workspace: range left, README and LICENSE in, every file the
//     manifest points at present, every package the built code imports declared;
//   - compiles a NestJS app to CommonJS with decorator metadata, boots it and gets a token.
// Every public package (packages/*/package.json without "private": true) is covered; one whose
// src/index.ts does not exist yet is skipped with a notice. A package without an entry in
// CONSUMERS below fails: add its snippet there.
//
// Usage: node scripts/consumer-smoke.mjs [--no-build] [--keep] [--only core,ky]

import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicPackages, readyPackages, root, run } from './lib/workspace.mjs';

// ---------------------------------------------------------------------------------------------
// What a consumer writes, one block per package.
//
// run.imports / types.imports: { specifier: binding }, binding being `{ a, b }`, a default name,
// or '' for a side-effect import. They become `import … from` in ESM and TypeScript and
// `const … = require(…)` in CommonJS.
// run.body runs inside `async function main()` with these in scope:
//   assert (node:assert/strict), emulator (a started GoToEmulator), EMULATOR_DEFAULTS,
//   authOptions(extra?) (createGoToAuth options for the emulator), defer(fn) (cleanup, last
//   first), listen(server) (resolves its http://127.0.0.1:port URL and closes it at the end),
//   REDIS_URL (set when a redis-server is running for the test, else undefined), format ('esm' | 'cjs').
// types.body is TypeScript inside `export async function check(): Promise<void>`, with
// notAny(x) (fails to compile when x is `any`). types.cjs overrides imports/body for .cts files.
// peers: installed beside the package (ranges from its peerDependencies); typings: @types/*
// packages the TypeScript project needs (ranges from the package's or the root's devDependencies).
// ---------------------------------------------------------------------------------------------
const CONSUMERS = {
  '@goto-auth/core': {
    web: true, // runtime-agnostic: its types must not need @types/node
    run: {
      imports: {
        '@goto-auth/core':
          '{ createGoToAuth, goToFetch, normalizeTokenResponse, isGoToAuthError, GoToAuthError }',
      },
      body: `
        // goToFetch: the token on GoTo's origin, one retry after a revocation.
        const fetching = createGoToAuth(authOptions());
        const gotoFetch = goToFetch(fetching);
        assert.equal((await gotoFetch(fetching.baseUrl + '/admin/rest/v1/me')).status, 200);
        emulator.revokeAll();
        const retried = await gotoFetch(fetching.baseUrl + '/admin/rest/v1/me');
        assert.equal((await retried.json()).organizerKey, EMULATOR_DEFAULTS.organizerKey);
        assert.equal(emulator.counters.meRejected, 1);
        await fetching.close();
        emulator.reset();

        const auth = createGoToAuth(authOptions());
        const token = await auth.getToken();
        assert.equal(token.tokenType, 'Bearer');
        assert.equal(token.organizerKey, EMULATOR_DEFAULTS.organizerKey);
        assert.ok(token.expiresAt > Date.now());
        assert.equal(await auth.getToken(), token, 'the second getToken() is served from the cache');
        const me = await fetch(auth.baseUrl + '/admin/rest/v1/me', {
          headers: { authorization: 'Bearer ' + token.accessToken },
        });
        assert.equal(me.status, 200);
        assert.ok(!JSON.stringify(token).includes(token.accessToken), 'JSON.stringify redacts the token');
        await auth.close();
        await assert.rejects(auth.getToken(), (e) => isGoToAuthError(e) && e.code === 'CLOSED');

        const wrong = createGoToAuth(authOptions({ password: 'smoke-wrong-pw-7f3a', retry: false }));
        await assert.rejects(wrong.getToken(), (e) =>
          isGoToAuthError(e) && e.code === 'INVALID_CREDENTIALS' &&
          !(e.message + JSON.stringify(e)).includes('smoke-wrong-pw-7f3a'));
        await wrong.close();

        // GoTo's documented example text, trailing comma included.
        const parsed = normalizeTokenResponse('{"access_token":"a","expires_in":"3600","version":"2", }', 1000);
        assert.equal(parsed.expiresAt, 1000 + 3600 * 1000);
        // The other build's guard recognises this build's errors (dual package).
        const other = await import('@goto-auth/core');
        assert.ok(other.isGoToAuthError(new GoToAuthError('CLOSED', 'closed')));
      `,
    },
    types: {
      imports: {
        '@goto-auth/core':
          '{ createGoToAuth, goToFetch, normalizeTokenResponse, isGoToAuthError, MemoryTokenStore, type GoToAuth, type GoToAuthOptions, type GoToToken, type TokenStore }',
      },
      body: `
        const typedFetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> =
          goToFetch(createGoToAuth({ clientId: 'id', userId: 'user', password: 'pw' }), { origins: ['https://api.getgo.com'] });
        void typedFetch;
        const options: GoToAuthOptions = { clientId: 'id', userId: 'user', password: 'pw', baseUrl: 'http://127.0.0.1:1' };
        const store: TokenStore = new MemoryTokenStore();
        const auth: GoToAuth = createGoToAuth({ ...options, store });
        const token: GoToToken = await auth.getToken({ signal: AbortSignal.timeout(1000) });
        const header: string = 'Bearer ' + notAny(token.accessToken);
        const expiresAt: number = notAny(token.expiresAt);
        const kind: 'personal' | 'corporate' | undefined = token.accountType;
        // @ts-expect-error tokens are read-only
        token.accessToken = header;
        const acted: boolean = auth.invalidate(token.accessToken);
        try {
          normalizeTokenResponse('{}', expiresAt);
        } catch (error) {
          if (isGoToAuthError(error)) {
            const code: string = notAny(error.code);
            void code;
          }
        }
        void kind; void acted;
        await auth.close();
      `,
    },
  },

  '@goto-auth/emulator': {
    run: {
      imports: {},
      body: `
        const { userId, password, clientId } = EMULATOR_DEFAULTS;
        const res = await fetch(emulator.url + '/oauth/access_token', {
          method: 'POST',
          headers: { accept: 'application/json' },
          body: new URLSearchParams({ grant_type: 'password', user_id: userId, password, client_id: clientId }),
        });
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.equal(typeof body.expires_in, 'string', 'expires_in is a string, as GoTo sends it');
        assert.equal(body.token_type, undefined, 'no token_type, as GoTo');
        const me = () => fetch(emulator.url + '/admin/rest/v1/me', {
          headers: { authorization: 'Bearer ' + body.access_token },
        });
        assert.equal((await me()).status, 200);
        assert.equal(emulator.counters.passwordGrants, 1);
        emulator.revokeAll();
        const rejected = await me();
        assert.equal(rejected.status, 403);
        assert.equal((await rejected.json()).int_err_code, 'InvalidToken');
      `,
    },
    types: {
      imports: {
        '@goto-auth/emulator':
          '{ startEmulator, EMULATOR_DEFAULTS, type EmulatorFault, type EmulatorOptions, type GoToEmulator }',
      },
      body: `
        const options: EmulatorOptions = { port: 0, accessTokenTtlSeconds: 60, logger: (line) => console.log(line) };
        const emulator: GoToEmulator = await startEmulator(options);
        const url: string = notAny(emulator.url);
        const fault: EmulatorFault = { type: 'rate-limit', retryAfterSeconds: 2 };
        emulator.fault(fault, { times: 1 });
        // @ts-expect-error not a fault type
        emulator.fault({ type: 'explode' });
        const clientId: 'goto-emulator-client' = EMULATOR_DEFAULTS.clientId;
        const grants: number = notAny(emulator.counters.passwordGrants);
        void url; void clientId; void grants;
        await emulator.close();
      `,
    },
  },

  '@goto-auth/redis': {
    peers: ['ioredis'],
    run: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/redis': '{ RedisTokenStore }',
        ioredis: '{ Redis }',
      },
      body: `
        if (!REDIS_URL) {
          const client = new Redis({ lazyConnect: true });
          const store = new RedisTokenStore({ client });
          assert.equal(typeof store.get, 'function');
          client.disconnect();
          console.log('note: no redis-server on this machine: RedisTokenStore only constructed');
          return;
        }
        const keyPrefix = 'smoke-' + format + ':';
        const encryptionKey = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
        const client = new Redis(REDIS_URL);
        defer(() => client.quit());
        const store = () => new RedisTokenStore({ client, keyPrefix, encryptionKey });
        const first = createGoToAuth(authOptions({ store: store() }));
        defer(() => first.close());
        const token = await first.getToken();
        const keys = await client.keys(keyPrefix + '*');
        assert.ok(keys.length > 0, 'the token is in Redis');
        for (const key of keys) {
          if ((await client.type(key)) !== 'hash') continue;
          const stored = JSON.stringify(await client.hgetall(key));
          assert.ok(!stored.includes(token.accessToken), 'the token is encrypted at rest');
        }
        // A second instance (another process, in real life) reads the shared token: no new grant.
        const second = createGoToAuth(authOptions({ store: store() }));
        defer(() => second.close());
        assert.equal((await second.getToken()).accessToken, token.accessToken);
        assert.equal(emulator.counters.passwordGrants, 1);
      `,
    },
    types: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth, type TokenStore }',
        '@goto-auth/redis': '{ RedisTokenStore }',
        ioredis: '{ Redis }',
      },
      body: `
        const client = new Redis({ lazyConnect: true });
        const store: TokenStore = new RedisTokenStore({ client, keyPrefix: 'app:' });
        const auth = createGoToAuth({ clientId: 'id', userId: 'user', password: 'pw', store });
        await auth.close();
        client.disconnect();
      `,
    },
  },

  '@goto-auth/ky': {
    peers: ['ky'],
    run: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/ky': '{ goToAuthHooks }',
        ky: 'ky',
        'node:http': '{ createServer }',
      },
      body: `
        const auth = createGoToAuth(authOptions());
        defer(() => auth.close());
        const api = ky.create({ prefix: emulator.url, hooks: goToAuthHooks(auth) });
        const me = await api.get('admin/rest/v1/me').json();
        assert.equal(me.organizerKey, EMULATOR_DEFAULTS.organizerKey);
        // GoTo rejects the token (403 InvalidToken): the hooks invalidate it and retry once.
        emulator.revokeAll();
        const again = await api.get('admin/rest/v1/me').json();
        assert.equal(again.organizerKey, EMULATOR_DEFAULTS.organizerKey);
        assert.equal(emulator.counters.meRejected, 1);
        // The token never goes to another origin.
        let seen = 'unset';
        const other = await listen(createServer((req, res) => {
          seen = req.headers.authorization;
          res.end('{}');
        }).listen(0, '127.0.0.1'));
        await api.get(other + '/elsewhere', { prefix: '' }).json();
        assert.equal(seen, undefined, 'no Authorization header for another origin');
      `,
    },
    types: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/ky': '{ goToAuthHooks }',
        ky: 'ky',
      },
      body: `
        const auth = createGoToAuth({ clientId: 'id', userId: 'user', password: 'pw' });
        const api = ky.create({ prefix: auth.baseUrl, hooks: goToAuthHooks(auth) });
        const me: { email: string } = await api.get('admin/rest/v1/me').json<{ email: string }>();
        void me;
      `,
    },
  },

  '@goto-auth/axios': {
    peers: ['axios'],
    run: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/axios': '{ attachGoToAuth }',
        axios: 'axios',
        'node:http': '{ createServer }',
      },
      body: `
        const auth = createGoToAuth(authOptions());
        defer(() => auth.close());
        const api = axios.create({ baseURL: auth.baseUrl });
        const detach = attachGoToAuth(api, auth);
        assert.equal((await api.get('/admin/rest/v1/me')).data.organizerKey, EMULATOR_DEFAULTS.organizerKey);
        // GoTo rejects the token (403 InvalidToken): one retry with a fresh token.
        emulator.revokeAll();
        const again = await api.get('/admin/rest/v1/me');
        assert.equal(again.data.organizerKey, EMULATOR_DEFAULTS.organizerKey);
        assert.equal(emulator.counters.meRejected, 1);
        // The token never goes to another origin.
        let seen = 'unset';
        const other = await listen(createServer((req, res) => {
          seen = req.headers.authorization;
          res.end('{}');
        }).listen(0, '127.0.0.1'));
        await api.get(other + '/elsewhere');
        assert.equal(seen, undefined, 'no Authorization header for another origin');
        detach();
        await assert.rejects(api.get('/admin/rest/v1/me'), (e) => e.response?.status === 403);
      `,
    },
    types: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/axios': '{ attachGoToAuth }',
        axios: 'axios',
      },
      body: `
        const auth = createGoToAuth({ clientId: 'id', userId: 'user', password: 'pw' });
        const api = axios.create({ baseURL: auth.baseUrl });
        const detach: () => void = attachGoToAuth(api, auth, { origins: [auth.baseUrl] });
        const { data } = await api.get<{ email: string }>('/admin/rest/v1/me', { goToAuthRetried: true });
        const email: string = notAny(data.email);
        void email;
        detach();
      `,
    },
  },

  '@goto-auth/express': {
    peers: ['express'],
    typings: ['@types/express'],
    run: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/express': '{ goToAuth }',
        express: 'express',
      },
      body: `
        const auth = createGoToAuth(authOptions());
        defer(() => auth.close());
        const broken = createGoToAuth(authOptions({ password: 'smoke-wrong-pw-7f3a', retry: false }));
        defer(() => broken.close());
        const app = express();
        app.get('/me', goToAuth(auth), async (req, res) => {
          const r = await fetch(emulator.url + '/admin/rest/v1/me', {
            headers: { authorization: 'Bearer ' + req.goto.accessToken },
          });
          res.status(r.status).json(await r.json());
        });
        app.get('/broken', goToAuth(broken), (_req, res) => res.json({ reached: true }));
        const base = await listen(app.listen(0, '127.0.0.1'));
        const ok = await fetch(base + '/me');
        assert.equal(ok.status, 200);
        assert.equal((await ok.json()).organizerKey, EMULATOR_DEFAULTS.organizerKey);
        const bad = await fetch(base + '/broken');
        assert.equal(bad.status, 500, 'rejected credentials answer 500');
        assert.match(bad.headers.get('content-type') ?? '', /application\\/problem\\+json/);
        assert.ok(!(await bad.text()).includes('smoke-wrong-pw-7f3a'));
      `,
    },
    types: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/express': '{ goToAuth }',
        express: 'express',
      },
      body: `
        const auth = createGoToAuth({ clientId: 'id', userId: 'user', password: 'pw' });
        const app = express();
        app.get('/me', goToAuth(auth), (req, res) => {
          const bearer: string = notAny(req.goto.accessToken);
          res.json({ bearer: bearer.length });
        });
      `,
    },
  },

  '@goto-auth/otel': {
    // The SDK is the application's: installed beside, as a user would.
    peers: ['@opentelemetry/api', '@opentelemetry/sdk-metrics'],
    run: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/otel': '{ instrumentGoToAuth, METRICS }',
        '@opentelemetry/sdk-metrics':
          '{ AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader }',
      },
      body: `
        const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
        const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
        const meterProvider = new MeterProvider({ readers: [reader] });
        defer(() => meterProvider.shutdown());
        const auth = createGoToAuth(authOptions());
        defer(() => auth.close());
        defer(instrumentGoToAuth(auth, { meterProvider }));
        await auth.getToken();
        await auth.getToken();
        await reader.forceFlush();
        const scope = exporter.getMetrics().at(-1).scopeMetrics.find((s) => s.scope.name === '@goto-auth/otel');
        assert.ok(scope, 'the meter is named after the package');
        assert.match(scope.scope.version, /^\\d+\\.\\d+\\.\\d+/);
        const grants = scope.metrics.find((m) => m.descriptor.name === METRICS.grants);
        assert.equal(grants.dataPoints.length, 1);
        assert.equal(grants.dataPoints[0].value, 1, 'one grant: the cached call counts nothing');
        assert.equal(grants.dataPoints[0].attributes['goto_auth.grant_type'], 'password');
        const left = scope.metrics.find((m) => m.descriptor.name === METRICS.timeLeft);
        assert.ok(left.dataPoints[0].value > 0, 'time left on the token');
      `,
    },
    types: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/otel': '{ instrumentGoToAuth, METRICS, type GoToAuthInstrumentationOptions }',
        '@opentelemetry/api': '{ metrics, trace }',
      },
      body: `
        const auth = createGoToAuth({ clientId: 'id', userId: 'user', password: 'pw' });
        const options: GoToAuthInstrumentationOptions = {
          meterProvider: metrics.getMeterProvider(),
          tracerProvider: trace.getTracerProvider(),
          attributes: { 'goto_auth.instance': 'main' },
        };
        const uninstall: () => void = instrumentGoToAuth(auth, options);
        const name: 'goto_auth.grants' = METRICS.grants;
        void name;
        uninstall();
        await auth.close();
      `,
    },
  },

  '@goto-auth/cli': {
    run: {
      imports: {
        '@goto-auth/cli': '{ EXIT_CODES, main as runCli }',
        'node:child_process': '{ execFile }',
        'node:path': '{ join }',
      },
      body: `
        // The installed bin: minting without a store off a terminal is refused...
        const bin = join(process.cwd(), 'node_modules', '.bin', 'goto-auth');
        const env = {
          PATH: process.env.PATH,
          GOTO_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
          GOTO_USER_ID: EMULATOR_DEFAULTS.userId,
          GOTO_PASSWORD: EMULATOR_DEFAULTS.password,
          GOTO_BASE_URL: emulator.url,
        };
        const goto = (args) =>
          new Promise((resolve) => {
            execFile(bin, args, { env }, (error, stdout, stderr) =>
              resolve({ code: error ? error.code : 0, stdout, stderr }),
            );
          });
        const refused = await goto(['token']);
        assert.equal(refused.code, EXIT_CODES.REFUSED);
        assert.match(refused.stderr, /revokes every other token/);
        assert.equal(emulator.counters.passwordGrants, 0);
        // ...and --force prints a token GoTo accepts, alone on stdout.
        const minted = await goto(['token', '--force']);
        assert.equal(minted.code, 0, minted.stderr);
        const token = minted.stdout.trim();
        assert.equal(minted.stdout, token + '\\n');
        const me = await fetch(emulator.url + '/admin/rest/v1/me', { headers: { authorization: 'Bearer ' + token } });
        assert.equal(me.status, 200);
        assert.ok(!minted.stderr.includes(EMULATOR_DEFAULTS.password), 'no secret on stderr');
        // main() in-process (imported as runCli: the harness has its own main): a missing setting is exit code 3.
        let err = '';
        const io = { stdout: () => {}, stderr: (t) => { err += t; }, interactive: false, ask: async () => '' };
        assert.equal(await runCli(['token'], { env: {}, cwd: process.cwd(), io }), EXIT_CODES.CONFIG_MISSING);
        assert.match(err, /GOTO_CLIENT_ID/);
      `,
    },
    types: {
      imports: {
        '@goto-auth/cli': '{ EXIT_CODES, main, type CliIo, type ExitCode, type StatusReport }',
      },
      body: `
        const io: CliIo = { stdout: () => {}, stderr: () => {}, interactive: false, ask: async () => 'n' };
        const code: ExitCode = await main(['status', '--json'], { env: {}, io });
        const refused: 5 = EXIT_CODES.REFUSED;
        const state: StatusReport['state'] = 'valid';
        void code; void refused; void state;
      `,
    },
  },

  '@goto-auth/hono': {
    peers: ['hono'],
    web: true, // runs on Workers, Deno and Bun too: its types must not need @types/node
    run: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/hono': '{ goToAuth, goToAuthFromEnv }',
        hono: '{ Hono }',
      },
      body: `
        const auth = createGoToAuth(authOptions());
        defer(() => auth.close());
        const broken = createGoToAuth(authOptions({ password: 'smoke-wrong-pw-7f3a', retry: false }));
        defer(() => broken.close());
        const app = new Hono();
        app.get('/me', goToAuth(auth), async (c) => {
          const r = await fetch(emulator.url + '/admin/rest/v1/me', {
            headers: { authorization: 'Bearer ' + c.var.goto.accessToken },
          });
          return c.json(await r.json(), r.status);
        });
        app.get('/broken', goToAuth(broken, { logger: false }), (c) => c.json({ reached: true }));
        // The auth object built on the first request from what Hono's env(c) reads: Worker
        // bindings in workerd, process.env here.
        app.get('/env', goToAuth(goToAuthFromEnv({ logger: false })), (c) => c.json({ key: c.var.goto.organizerKey }));
        const ok = await app.request('/me');
        assert.equal(ok.status, 200);
        assert.equal((await ok.json()).organizerKey, EMULATOR_DEFAULTS.organizerKey);
        const variables = {
          GOTO_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
          GOTO_USER_ID: EMULATOR_DEFAULTS.userId,
          GOTO_PASSWORD: EMULATOR_DEFAULTS.password,
          GOTO_BASE_URL: emulator.url,
        };
        Object.assign(process.env, variables);
        defer(() => { for (const name of Object.keys(variables)) delete process.env[name]; });
        const fromEnv = await app.request('/env');
        assert.equal((await fromEnv.json()).key, EMULATOR_DEFAULTS.organizerKey);
        const bad = await app.request('/broken');
        assert.equal(bad.status, 500, 'rejected credentials answer 500');
        assert.match(bad.headers.get('content-type') ?? '', /application\\/problem\\+json/);
        assert.ok(!(await bad.text()).includes('smoke-wrong-pw-7f3a'));
      `,
    },
    types: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/hono': '{ goToAuth, goToAuthFromEnv, type GoToAuthBindings, type GoToAuthEnv }',
        hono: '{ Hono }',
      },
      body: `
        const auth = createGoToAuth({ clientId: 'id', userId: 'user', password: 'pw' });
        const app = new Hono<{ Bindings: GoToAuthBindings } & GoToAuthEnv>();
        app.get('/me', goToAuth(auth), (c) => c.text(notAny(c.var.goto.accessToken)));
        app.use('/goto/*', goToAuth(goToAuthFromEnv()));
        app.get('/goto/key', (c) => c.text(notAny(c.env.GOTO_CLIENT_ID) + notAny(c.var.goto.accessToken)));
      `,
    },
  },

  '@goto-auth/fastify': {
    peers: ['fastify'],
    run: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/fastify': '{ goToAuthPlugin }',
        fastify: 'Fastify',
      },
      body: `
        const auth = createGoToAuth(authOptions());
        defer(() => auth.close());
        const app = Fastify();
        defer(() => app.close());
        await app.register(goToAuthPlugin, { auth });
        // A second account from options: the plugin creates it and closes it with the app.
        await app.register(goToAuthPlugin, { ...authOptions({ password: 'smoke-wrong-pw-7f3a', retry: false }), namespace: 'broken' });
        app.get('/me', { config: { goto: true } }, async (request, reply) => {
          const r = await fetch(emulator.url + '/admin/rest/v1/me', {
            headers: { authorization: 'Bearer ' + request.goto.accessToken },
          });
          return reply.code(r.status).send(await r.json());
        });
        app.get('/broken', { config: { goto: 'broken' } }, async () => ({ reached: true }));
        app.get('/plain', async (request) => ({ goto: request.goto }));
        const base = await app.listen({ port: 0, host: '127.0.0.1' });
        const ok = await fetch(base + '/me');
        assert.equal(ok.status, 200);
        assert.equal((await ok.json()).organizerKey, EMULATOR_DEFAULTS.organizerKey);
        assert.deepEqual(await (await fetch(base + '/plain')).json(), { goto: null });
        const bad = await app.inject('/broken');
        assert.equal(bad.statusCode, 500, 'rejected credentials answer 500');
        assert.match(bad.headers['content-type'] ?? '', /application\\/problem\\+json/);
        assert.ok(!bad.body.includes('smoke-wrong-pw-7f3a'));
        assert.equal(app.goto, auth);
      `,
    },
    types: {
      imports: {
        '@goto-auth/core': '{ createGoToAuth }',
        '@goto-auth/fastify': '{ goToAuthPlugin }',
        fastify: 'Fastify',
      },
      body: `
        const auth = createGoToAuth({ clientId: 'id', userId: 'user', password: 'pw' });
        const app = Fastify();
        await app.register(goToAuthPlugin, { auth });
        app.get('/me', { config: { goto: true } }, async (request) => ({
          bearer: notAny(request.goto.accessToken),
          lazy: notAny((await request.gotoToken()).accessToken),
          origin: notAny(app.goto.baseUrl),
        }));
      `,
    },
  },

  '@goto-auth/nestjs': {
    // @nestjs/terminus is an optional peer, for the ./terminus subpath only (the package's own
    // tests prove that the main entry never loads it).
    peers: ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs', '@nestjs/terminus'],
    run: {
      imports: {
        'reflect-metadata': '',
        '@nestjs/common': '{ Module }',
        '@nestjs/core': '{ NestFactory }',
        '@nestjs/terminus': '{ TerminusModule }',
        '@goto-auth/nestjs': '{ GoToAuthModule, GoToAuthService }',
        '@goto-auth/nestjs/terminus': '{ GoToAuthHealthIndicator }',
      },
      body: `
        // Plain JavaScript: decorators applied by hand.
        class AppModule {}
        Module({ imports: [GoToAuthModule.forRoot(authOptions())] })(AppModule);
        const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
        const token = await app.get(GoToAuthService).getToken();
        assert.equal(token.tokenType, 'Bearer');
        await app.close();

        // The health indicator from the subpath, injected by the metadata its build carries.
        class HealthModule {}
        Module({
          imports: [TerminusModule, GoToAuthModule.forRoot(authOptions())],
          providers: [GoToAuthHealthIndicator],
        })(HealthModule);
        const health = await NestFactory.createApplicationContext(HealthModule, { logger: false });
        const result = health.get(GoToAuthHealthIndicator).isHealthy('goto');
        assert.equal(result.goto.status, 'up', 'warmed up: a token serves');
        assert.equal(result.goto.state, 'valid');
        await health.close();
      `,
    },
    types: {
      imports: {
        '@goto-auth/nestjs': '{ GoToAuthModule, GoToAuthService }',
        '@nestjs/common': '{ type DynamicModule }',
      },
      body: `
        const sync: DynamicModule = GoToAuthModule.forRoot({ clientId: 'id', userId: 'user', password: 'pw' });
        const async: DynamicModule = GoToAuthModule.forRootAsync({
          useFactory: () => ({ clientId: 'id', userId: 'user', password: 'pw' }),
        });
        const token = await (null as unknown as GoToAuthService).getToken();
        const bearer: string = notAny(token.accessToken);
        void sync; void async; void bearer;
      `,
    },
    // A NestJS app in TypeScript, compiled to CommonJS with decorator metadata, then run.
    nest: `
      import 'reflect-metadata';
      import { Injectable, Module } from '@nestjs/common';
      import { NestFactory } from '@nestjs/core';
      import { GoToAuthModule, GoToAuthService } from '@goto-auth/nestjs';
      import { EMULATOR_DEFAULTS, startEmulator } from '@goto-auth/emulator';
      import assert from 'node:assert/strict';

      @Injectable()
      class GoToClient {
        constructor(private readonly goto: GoToAuthService) {}

        async me(baseUrl: string): Promise<{ organizerKey: string }> {
          const token = await this.goto.getToken();
          const res = await fetch(baseUrl + '/admin/rest/v1/me', {
            headers: { authorization: 'Bearer ' + token.accessToken },
          });
          assert.equal(res.status, 200);
          return (await res.json()) as { organizerKey: string };
        }
      }

      async function main(): Promise<void> {
        const emulator = await startEmulator();
        const options = {
          clientId: EMULATOR_DEFAULTS.clientId,
          clientSecret: EMULATOR_DEFAULTS.clientSecret,
          userId: EMULATOR_DEFAULTS.userId,
          password: EMULATOR_DEFAULTS.password,
          baseUrl: emulator.url,
          logger: false as const,
        };
        try {
          @Module({ imports: [GoToAuthModule.forRoot(options)], providers: [GoToClient] })
          class AppModule {}
          const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
          const me = await app.get(GoToClient).me(emulator.url);
          assert.equal(me.organizerKey, EMULATOR_DEFAULTS.organizerKey);
          await app.close();

          @Module({
            imports: [GoToAuthModule.forRootAsync({ useFactory: async () => options })],
            providers: [GoToClient],
          })
          class AsyncAppModule {}
          const asyncApp = await NestFactory.createApplicationContext(AsyncAppModule, { logger: false });
          assert.equal((await asyncApp.get(GoToClient).me(emulator.url)).organizerKey, me.organizerKey);
          await asyncApp.close();
        } finally {
          await emulator.close();
        }
        console.log('nest app booted, got a token, called /me and closed');
      }

      main().catch((error) => {
        console.error(error);
        process.exitCode = 1;
      });
    `,
  },
};

// ---------------------------------------------------------------------------------------------
// The runner.
// ---------------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex === -1 ? undefined : new Set((argv[onlyIndex + 1] ?? '').split(','));
const started = Date.now();
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let passed = 0;
let failed = 0;

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Check results. Checks that run concurrently each write to their own Log; the logs are printed
 * in a fixed order, so the output reads the same whatever finished first.
 */
class Log {
  lines = [];
  ok(label, detail = '') {
    passed += 1;
    this.lines.push(`ok   ${label}${detail ? ` (${detail})` : ''}`);
  }
  fail(label, detail = '', output = '') {
    failed += 1;
    this.lines.push(`FAIL ${label}${detail ? ` (${detail})` : ''}`);
    const text = output.trim();
    if (!text) return;
    const lines = text.split('\n');
    const shown = lines.slice(0, 40).map((line) => `     | ${line}`);
    if (lines.length > 40) shown.push(`     | … ${lines.length - 40} more lines`);
    this.lines.push(...shown);
  }
  failRun(label, result, hint = '') {
    this.fail(
      label,
      result.timedOut ? 'timed out' : `exit ${result.code}`,
      `${hint}${result.stdout}${result.stderr}`,
    );
  }
  note(text) {
    this.lines.push(`     ${text}`);
  }
  flush() {
    if (this.lines.length > 0) console.log(this.lines.join('\n'));
    this.lines = [];
  }
}

/** Runs the tasks at most `limit` at a time; prints each task's log in order as soon as it can. */
async function inParallel(tasks, limit = 2) {
  const logs = tasks.map(() => new Log());
  const done = tasks.map(() => false);
  let printed = 0;
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      try {
        await tasks[index](logs[index]);
      } catch (error) {
        logs[index].fail('unexpected error in the smoke script', '', String(error?.stack ?? error));
      }
      done[index] = true;
      while (printed < tasks.length && done[printed]) logs[printed++].flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** Strips a template literal's common indentation, then indents it by `pad`. */
function indent(text, pad) {
  const lines = text.replace(/^\n+|\s+$/g, '').split('\n');
  const common = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length));
  return lines.map((line) => (line.trim() ? pad + line.slice(common) : '')).join('\n');
}

function writeJson(path, value) {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves true once something accepts connections on the port (up to 5 s). */
async function waitForPort(port) {
  for (let i = 0; i < 50; i += 1) {
    const open = await new Promise((done) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const hasCommand = (name) =>
  (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, name)));

const workspaceManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The version range a consumer would install for `name`, judged from our own manifests. */
function rangeFor(name, pkgs) {
  for (const pkg of pkgs) {
    const range = pkg.manifest.peerDependencies?.[name];
    if (range) return range;
  }
  for (const pkg of pkgs) {
    const range = pkg.manifest.devDependencies?.[name];
    if (range && !range.startsWith('workspace:')) return range;
  }
  return workspaceManifest.devDependencies?.[name] ?? 'latest';
}

function importLines(imports, format) {
  return Object.entries(imports)
    .map(([specifier, binding]) => {
      if (format !== 'cjs')
        return binding ? `import ${binding} from '${specifier}';` : `import '${specifier}';`;
      if (!binding) return `require('${specifier}');`;
      if (binding.startsWith('{'))
        return `const ${binding.replace(/\s+as\s+/g, ': ')} = require('${specifier}');`;
      return `const ${binding} = interopDefault(require('${specifier}'));`;
    })
    .join('\n');
}

/** A runnable program for one package in one module format. */
function runtimeProgram(pkgName, snippet, format) {
  const harness = {
    'node:assert/strict': 'assert',
    'node:events': '{ once }',
    '@goto-auth/emulator': '{ startEmulator, EMULATOR_DEFAULTS }',
  };
  const sameExports =
    format === 'cjs'
      ? `
  // Both builds export the same names.
  const cjsKeys = Object.keys(require('${pkgName}')).filter((k) => k !== '__esModule').sort();
  const esmKeys = Object.keys(await import('${pkgName}')).filter((k) => k !== 'default' && k !== 'module.exports').sort();
  assert.deepEqual(cjsKeys, esmKeys, 'the CommonJS and ESM builds export the same names');`
      : '';
  return `${importLines({ ...harness, ...snippet.imports }, format)}

function interopDefault(m) {
  return m !== null && typeof m === 'object' && 'default' in m ? m.default : m;
}
const format = '${format}';
const REDIS_URL = process.env.SMOKE_REDIS_URL || undefined;
const cleanups = [];
const defer = (fn) => cleanups.push(fn);
let emulator;
const authOptions = (extra = {}) => ({
  clientId: EMULATOR_DEFAULTS.clientId,
  clientSecret: EMULATOR_DEFAULTS.clientSecret,
  userId: EMULATOR_DEFAULTS.userId,
  password: EMULATOR_DEFAULTS.password,
  baseUrl: emulator.url,
  minGrantInterval: 0,
  logger: false,
  ...extra,
});
async function listen(server) {
  if (!server.listening) await once(server, 'listening');
  defer(() => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }));
  return 'http://127.0.0.1:' + server.address().port;
}

async function main() {
${indent(snippet.body, '  ')}
}

async function smoke() {
  emulator = await startEmulator();
  try {
    await main();
  } finally {
    for (const fn of cleanups.reverse()) await fn();
    await emulator.close();
  }${sameExports}
}

// 'ok' is printed, and the process must then exit by itself: a timer or socket left open
// by a close() would keep it alive until the runner's timeout.
smoke().then(
  () => console.log('ok'),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
`;
}

/** A type-checked program for one package. */
function typesProgram(types, format) {
  const variant = format === 'cjs' && types.cjs ? types.cjs : types;
  return `${importLines(variant.imports, 'ts')}

type IsAny<T> = 0 extends 1 & T ? true : false;
/** Compiles only when \`value\` is not \`any\` (what an unresolved type becomes). */
function notAny<T>(value: T, ..._never: IsAny<T> extends true ? ['unexpected any'] : []): T {
  return value;
}

export async function check(): Promise<void> {
${indent(variant.body, '  ')}
}
`;
}

/** A fresh npm project: package.json with the tarballs and third-party packages, then npm install. */
function npmProject(dir, { type, tarballs, deps }) {
  mkdirSync(dir, { recursive: true });
  const dependencies = { ...deps };
  const overrides = {};
  for (const [name, file] of Object.entries(tarballs)) {
    dependencies[name] = `file:${file}`;
    // Our packages depend on each other: always the local tarball, never the registry.
    overrides[name] = `$${name}`;
  }
  writeJson(join(dir, 'package.json'), {
    name: `goto-auth-consumer-${type}`,
    version: '0.0.0',
    private: true,
    type: type === 'esm' ? 'module' : 'commonjs',
    dependencies,
    overrides,
  });
  return run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    {
      cwd: dir,
      timeout: 240_000,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    },
  );
}

/** Package names a built file imports or requires (not relative paths, not Node built-ins). */
function importedPackages(code) {
  const found = new Set();
  const patterns = [
    /\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      const spec = match[1];
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
      const name = spec.startsWith('@')
        ? spec.split('/').slice(0, 2).join('/')
        : spec.split('/')[0];
      if (!builtinModules.includes(name)) found.add(name);
    }
  }
  return found;
}

/** Every file path a manifest points at (exports, main, module, types, bin). */
function manifestTargets(manifest) {
  const targets = new Set();
  const walk = (value) => {
    if (typeof value === 'string') {
      if (value.startsWith('./') && !value.includes('*')) targets.add(value);
    } else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  for (const field of ['main', 'module', 'types', 'typings']) {
    if (typeof manifest[field] === 'string')
      targets.add(`./${manifest[field].replace(/^\.\//, '')}`);
  }
  walk(
    typeof manifest.bin === 'string'
      ? { bin: `./${manifest.bin.replace(/^\.\//, '')}` }
      : manifest.bin,
  );
  return [...targets];
}

/** Packs one package and looks at the tarball as npm will publish it. */
async function packAndInspect(pkg, tmp, log) {
  const tarDir = join(tmp, 'tarballs', pkg.dir);
  mkdirSync(tarDir, { recursive: true });
  const packed = await run('pnpm', ['pack', '--pack-destination', tarDir], { cwd: pkg.path });
  const file = readdirSync(tarDir).find((f) => f.endsWith('.tgz'));
  if (packed.code !== 0 || !file) {
    log.failRun(`pack ${pkg.name}`, packed);
    return undefined;
  }
  const unpacked = join(tmp, 'unpacked', pkg.dir);
  mkdirSync(unpacked, { recursive: true });
  await run('tar', ['-xzf', join(tarDir, file), '-C', unpacked]);
  const base = join(unpacked, 'package');
  const manifestText = readFileSync(join(base, 'package.json'), 'utf8');
  const manifest = JSON.parse(manifestText);
  const problems = [];
  if (manifestText.includes('workspace:')) problems.push('a workspace: range is left');
  for (const required of ['README.md', 'LICENSE']) {
    if (!existsSync(join(base, required))) problems.push(`${required} is missing`);
  }
  const missing = manifestTargets(manifest).filter((target) => !existsSync(join(base, target)));
  if (missing.length > 0) problems.push(`not in the tarball: ${missing.join(', ')}`);
  // Every package a built file loads must be a dependency or a peer dependency.
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const distDir = join(base, 'dist');
  const built = existsSync(distDir)
    ? readdirSync(distDir, { recursive: true }).filter((f) => /\.(mjs|cjs|js)$/.test(f))
    : [];
  if (built.length === 0) problems.push('dist has no JavaScript');
  const undeclared = new Set();
  for (const f of built) {
    for (const name of importedPackages(readFileSync(join(distDir, f), 'utf8'))) {
      if (!declared.has(name)) undeclared.add(`${name} (dist/${f})`);
    }
  }
  if (undeclared.size > 0)
    problems.push(`imports undeclared packages: ${[...undeclared].join(', ')}`);
  if (problems.length > 0) {
    log.fail(`pack ${pkg.name}`, problems.join('; '));
    return undefined;
  }
  log.ok(`pack ${pkg.name}`, file);
  return join(tarDir, file);
}

/** Runs one package's program in the esm or cjs project. */
async function runProgram(pkg, format, dir, env, log) {
  const file = join(dir, `${pkg.dir}.js`);
  writeFileSync(file, runtimeProgram(pkg.name, CONSUMERS[pkg.name].run, format));
  const result = await run(process.execPath, [file], { cwd: dir, env, timeout: 60_000 });
  const note = result.stdout.match(/^note: (.*)$/m)?.[1];
  if (result.code === 0 && !result.timedOut && /^ok$/m.test(result.stdout)) {
    log.ok(`${format} ${pkg.name}`, note ?? seconds(result.ms));
  } else {
    const hint = /^ok$/m.test(result.stdout)
      ? 'the program finished but did not exit: an open handle?\n'
      : '';
    log.failRun(`${format} ${pkg.name}`, result, hint);
  }
}

/** Type-checks every package's program under one TypeScript configuration. */
async function typeCheck(mode, packages, dir, log) {
  const members = packages.filter((p) => (mode.only ? mode.only(p) : true));
  if (members.length === 0) return;
  for (const pkg of members) {
    const notice = mode.notice?.(pkg);
    if (notice) log.note(`notice: types ${mode.name} ${pkg.name}: ${notice}`);
    for (const f of mode.files(pkg)) {
      mkdirSync(join(dir, mode.name), { recursive: true });
      writeFileSync(
        join(dir, f),
        typesProgram(CONSUMERS[pkg.name].types, f.endsWith('.cts') ? 'cjs' : 'esm'),
      );
    }
  }
  const config = `tsconfig.${mode.name}.json`;
  writeJson(join(dir, config), {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      types: ['node'],
      esModuleInterop: true,
      ...mode.options,
    },
    files: members.flatMap((p) => mode.files(p)),
  });
  const result = await run(process.execPath, [tsc, '-p', config, '--pretty', 'false'], {
    cwd: dir,
    timeout: 180_000,
  });
  const lines = `${result.stdout}${result.stderr}`.split('\n').filter(Boolean);
  const claimed = new Set();
  const label = `types ${mode.label ?? mode.name}`;
  for (const pkg of members) {
    // An error belongs to a package when it is in its program or in its installed files.
    const mine = lines.filter(
      (line) =>
        mode.files(pkg).some((f) => line.startsWith(f)) ||
        line.includes(`node_modules/${pkg.name}/`),
    );
    for (const line of mine) claimed.add(line);
    if (mine.length === 0 && !result.timedOut) log.ok(`${label} ${pkg.name}`);
    else log.fail(`${label} ${pkg.name}`, result.timedOut ? 'timed out' : '', mine.join('\n'));
  }
  const rest = lines.filter((line) => !claimed.has(line));
  if (result.code !== 0 && (rest.length > 0 || claimed.size === 0)) {
    log.failRun(`${label}: errors outside the programs`, {
      ...result,
      stdout: rest.join('\n'),
      stderr: '',
    });
  }
  log.note(`${label}: tsc took ${seconds(result.ms)}`);
}

/** Compiles the NestJS app to CommonJS with decorator metadata, then boots it. */
async function nestApp(pkg, dir, log) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'main.ts'), `${indent(CONSUMERS[pkg.name].nest, '')}\n`);
  writeJson(join(dir, 'tsconfig.json'), {
    compilerOptions: {
      // What `nest new` writes; NestJS 12 is ES modules only, loaded here through require(esm).
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'ES2022',
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      outDir: 'dist',
      rootDir: 'src',
    },
    include: ['src'],
  });
  const label = `nest ${pkg.name}: CommonJS + decorator metadata`;
  const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: dir,
    timeout: 180_000,
  });
  if (compiled.code !== 0) {
    log.failRun(`${label}: compile`, compiled);
    return;
  }
  log.ok(`${label}: compile`, seconds(compiled.ms));
  const booted = await run(process.execPath, ['dist/main.js'], { cwd: dir, timeout: 60_000 });
  if (booted.code === 0 && booted.stdout.includes('nest app booted'))
    log.ok(`${label}: boot, token, close`, seconds(booted.ms));
  else log.failRun(`${label}: boot, token, close`, booted);
}

async function main() {
  const log = new Log();
  const all = publicPackages();
  let packages = readyPackages('consumers', all);
  if (only) packages = packages.filter((p) => only.has(p.dir) || only.has(p.name));
  // Every program runs against the emulator, and the adapters need core.
  for (const need of ['@goto-auth/emulator', '@goto-auth/core']) {
    const pkg = all.find((p) => p.name === need);
    if (!pkg?.ready) {
      log.fail(`${need} is needed by every check`, 'its package or src/index.ts is missing');
      return log.flush();
    }
    if (!packages.includes(pkg)) packages.unshift(pkg);
  }
  for (const pkg of packages.filter((p) => !CONSUMERS[p.name])) {
    log.fail(`snippet ${pkg.name}`, 'no entry in CONSUMERS (scripts/consumer-smoke.mjs): add one');
  }
  packages = packages.filter((p) => CONSUMERS[p.name]);

  // 1. Build (turbo's cache makes this quick after `pnpm build` or `pnpm check`).
  if (!flag('--no-build')) {
    const filters = packages.flatMap((p) => ['--filter', p.name]);
    const build = await run(
      'pnpm',
      ['exec', 'turbo', 'run', 'build', ...filters, '--output-logs=errors-only'],
      {
        timeout: 300_000,
      },
    );
    if (build.code !== 0) {
      log.failRun('build', build);
      return log.flush();
    }
    log.ok('build', seconds(build.ms));
  }
  log.flush();

  const tmp = mkdtempSync(join(tmpdir(), 'goto-auth-consumers-'));
  log.note(`work dir: ${tmp}`);
  let redis;
  try {
    // 2. Pack, and look at what was packed.
    const tarballs = {};
    for (const pkg of packages) {
      const file = await packAndInspect(pkg, tmp, log);
      if (file) tarballs[pkg.name] = file;
    }
    log.flush();
    if (!tarballs['@goto-auth/core'] || !tarballs['@goto-auth/emulator']) return;
    const packed = packages.filter((p) => tarballs[p.name]);
    const dep = (names) => {
      const deps = Object.fromEntries(names.map((n) => [n, rangeFor(n, packed)]));
      // @nestjs/terminus reaches typeorm through its optional peers, and typeorm's optional
      // peer is ioredis ^5: npm refuses ioredis 6 beside it (ERESOLVE), as it would in an app
      // with both. Both majors are in @goto-auth/redis's range, so a project that holds
      // terminus takes ioredis 5; the CLI's own dependency still brings ioredis 6.
      if (deps['@nestjs/terminus'] !== undefined && deps.ioredis !== undefined)
        deps.ioredis = '^5.4.0';
      return deps;
    };
    const peers = [...new Set(packed.flatMap((p) => CONSUMERS[p.name].peers ?? []))];
    const typings = [...new Set(packed.flatMap((p) => CONSUMERS[p.name].typings ?? []))];

    // 3. Fresh projects, installed side by side.
    const projects = {
      esm: { type: 'esm', tarballs, deps: dep(peers) },
      cjs: { type: 'cjs', tarballs, deps: dep(peers) },
      ts: { type: 'ts', tarballs, deps: dep([...peers, ...typings, '@types/node']) },
    };
    const nestPkg = packed.find((p) => CONSUMERS[p.name].nest);
    if (nestPkg) {
      projects.nest = {
        type: 'nest',
        tarballs: Object.fromEntries(
          [
            '@goto-auth/core',
            '@goto-auth/emulator',
            nestPkg.name,
            // Our packages it depends on (@goto-auth/axios, for its `http` subpath).
            ...Object.keys(nestPkg.manifest.dependencies ?? {}).filter((n) => tarballs[n]),
          ].map((n) => [n, tarballs[n]]),
        ),
        deps: dep([...(CONSUMERS[nestPkg.name].peers ?? []), '@types/node']),
      };
    }
    const installed = new Set();
    await inParallel(
      Object.entries(projects).map(([key, spec]) => async (taskLog) => {
        const result = await npmProject(join(tmp, key), spec);
        if (result.code !== 0) return taskLog.failRun(`npm install: ${key} project`, result);
        installed.add(key);
        taskLog.ok(`npm install: ${key} project`, seconds(result.ms));
      }),
      4,
    );

    // A real Redis for the store's round trip, when this machine has one.
    const env = { ...process.env };
    if (packed.some((p) => p.name === '@goto-auth/redis') && hasCommand('redis-server')) {
      const port = await freePort();
      redis = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      if (await waitForPort(port)) env.SMOKE_REDIS_URL = `redis://127.0.0.1:${port}`;
    }

    // 4. The checks, two at a time (two cores): programs, bins, type checks, the Nest app.
    const tasks = [];
    for (const format of ['esm', 'cjs']) {
      if (!installed.has(format)) continue;
      tasks.push(async (taskLog) => {
        for (const pkg of packed) await runProgram(pkg, format, join(tmp, format), env, taskLog);
        if (format !== 'esm') return;
        // Every bin runs from the install (shebang, file mode, imports).
        for (const pkg of packed) {
          const bins =
            typeof pkg.manifest.bin === 'string'
              ? { [pkg.dir]: pkg.manifest.bin }
              : (pkg.manifest.bin ?? {});
          for (const bin of Object.keys(bins)) {
            const result = await run(join(tmp, 'esm', 'node_modules', '.bin', bin), ['--help'], {
              cwd: join(tmp, 'esm'),
              timeout: 30_000,
            });
            if (result.code === 0) taskLog.ok(`bin ${bin} --help (${pkg.name})`);
            else taskLog.failRun(`bin ${bin} --help (${pkg.name})`, result);
          }
        }
      });
    }
    if (installed.has('ts')) {
      const dir = join(tmp, 'ts');
      // Peers that are ES modules only (ky, NestJS 12) cannot be imported from a CommonJS file
      // under module node16; node20 (TypeScript's model of require(esm)) can.
      const esmOnly = (name) => {
        const file = join(dir, 'node_modules', name, 'package.json');
        if (!existsSync(file)) return false;
        const manifest = JSON.parse(readFileSync(file, 'utf8'));
        const exportsText = JSON.stringify(manifest.exports ?? '');
        return (
          manifest.type === 'module' &&
          !exportsText.includes('"require"') &&
          !exportsText.includes('.cjs')
        );
      };
      const esmOnlyPeers = (pkg) =>
        Object.keys(pkg.manifest.peerDependencies ?? {}).filter(esmOnly);
      // skipLibCheck is off where our .d.mts/.d.cts must be checked whole (slower); elsewhere
      // notAny() still catches a type that failed to resolve.
      const modes = [
        {
          name: 'node16',
          label: 'node16 (.mts + .cts)',
          options: { module: 'node16', moduleResolution: 'node16', skipLibCheck: false },
          files: (pkg) =>
            esmOnlyPeers(pkg).length > 0
              ? [`node16/${pkg.dir}.mts`]
              : [`node16/${pkg.dir}.mts`, `node16/${pkg.dir}.cts`],
          notice: (pkg) =>
            esmOnlyPeers(pkg).length > 0
              ? `${esmOnlyPeers(pkg).join(', ')}: ES module only, so its .cts is checked under node20`
              : undefined,
        },
        {
          name: 'node20',
          label: 'node20 (.cts, require(esm))',
          options: { module: 'node20', moduleResolution: 'node16', skipLibCheck: false },
          files: (pkg) => [`node20/${pkg.dir}.cts`],
        },
        {
          name: 'bundler',
          options: { module: 'preserve', moduleResolution: 'bundler', skipLibCheck: true },
          files: (pkg) => [`bundler/${pkg.dir}.ts`],
        },
        {
          name: 'node10',
          label: 'node10 (legacy CommonJS resolution)',
          options: {
            module: 'commonjs',
            moduleResolution: 'node10',
            ignoreDeprecations: '6.0',
            skipLibCheck: true,
          },
          files: (pkg) => [`node10/${pkg.dir}.ts`],
        },
        {
          name: 'web',
          label: 'web (no @types/node)',
          options: {
            module: 'preserve',
            moduleResolution: 'bundler',
            types: [],
            lib: ['ES2023', 'DOM'],
            skipLibCheck: false,
          },
          files: (pkg) => [`web/${pkg.dir}.ts`],
          only: (pkg) => CONSUMERS[pkg.name].web === true,
        },
      ];
      for (const mode of modes) tasks.push((taskLog) => typeCheck(mode, packed, dir, taskLog));
    }
    if (installed.has('nest'))
      tasks.push((taskLog) => nestApp(nestPkg, join(tmp, 'nest'), taskLog));
    await inParallel(tasks, 2);
  } finally {
    redis?.kill();
    if (failed === 0 && !flag('--keep')) rmSync(tmp, { recursive: true, force: true });
    else console.log(`     kept ${tmp} for a look`);
  }
}

await main().catch((error) => {
  console.error(error);
  failed += 1;
});
console.log(`consumer smoke tests took ${seconds(Date.now() - started)}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
