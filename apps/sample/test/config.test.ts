import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { APP_DIR, BUILT_MAIN, cleanEnv, run } from './helpers.ts';

const PASSWORD = 'pw-Never-Print-Me-42';
const SECRET = 'secret-Never-Print-Me-17';

const FULL = {
  GOTO_CLIENT_ID: 'consumer-key-1',
  GOTO_CLIENT_SECRET: SECRET,
  GOTO_USER_ID: 'ops@example.com',
  GOTO_PASSWORD: PASSWORD,
  GOTO_BASE_URL: 'https://api.getgo.com',
};

const without = (name: keyof typeof FULL): Record<string, string> => {
  const env: Record<string, string> = { ...FULL };
  delete env[name];
  return env;
};

describe('loadConfig', () => {
  it('uses the embedded emulator when no GOTO_* variable is set', () => {
    expect(loadConfig({})).toEqual({
      mode: 'emulator',
      port: 3000,
      host: '127.0.0.1',
      metricsPort: 9464,
      redirectUri: undefined,
      sessionSecret: undefined,
    });
    expect(loadConfig({ PORT: '0', HOST: '::1', METRICS_PORT: '0', GOTO_PASSWORD: ' ' })).toEqual({
      mode: 'emulator',
      port: 0,
      host: '::1',
      metricsPort: 0,
      redirectUri: undefined,
      sessionSecret: undefined,
    });
  });

  it('reads the sign-in settings, and refuses unusable ones without echoing them', () => {
    const secret = 'a-session-secret-of-32-characters!';
    expect(
      loadConfig({ GOTO_REDIRECT_URI: 'https://app.example.com/cb', SESSION_SECRET: secret }),
    ).toMatchObject({ redirectUri: 'https://app.example.com/cb', sessionSecret: secret });
    expect(() => loadConfig({ GOTO_REDIRECT_URI: 'not-a-url' })).toThrow(
      /^GOTO_REDIRECT_URI must be an absolute URL\.$/,
    );
    expect(() => loadConfig({ SESSION_SECRET: 'short-secret' })).toThrow(
      /^SESSION_SECRET must be at least 32 characters long\.$/,
    );
  });

  it('uses GoTo when the credentials are set; the secret and base URL are optional', () => {
    expect(loadConfig(FULL)).toMatchObject({
      mode: 'goto',
      clientSecret: SECRET,
      baseUrl: FULL.GOTO_BASE_URL,
    });
    const minimal = loadConfig(without('GOTO_CLIENT_SECRET'));
    expect(minimal).toMatchObject({ mode: 'goto', clientSecret: undefined });
    expect(loadConfig({ ...without('GOTO_BASE_URL') })).toMatchObject({ baseUrl: undefined });
    expect(loadConfig({ ...FULL, GOTO_BASE_URL: 'http://127.0.0.1:4010' })).toMatchObject({
      baseUrl: 'http://127.0.0.1:4010',
    });
  });

  it('names every missing variable, and never a value', () => {
    const error = (() => {
      try {
        loadConfig({ GOTO_CLIENT_ID: 'x', GOTO_CLIENT_SECRET: SECRET });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(
      /^GOTO_USER_ID, GOTO_PASSWORD are not set, but GOTO_CLIENT_ID, GOTO_CLIENT_SECRET are\./,
    );
    expect(error?.message).not.toContain(SECRET);
  });

  it('rejects a bad PORT', () => {
    for (const port of ['abc', '-1', '65536', '3.5']) {
      expect(() => loadConfig({ PORT: port })).toThrow(/^PORT must be a whole number/);
      expect(() => loadConfig({ METRICS_PORT: port })).toThrow(
        /^METRICS_PORT must be a whole number/,
      );
    }
  });
});

/** Spawns the built app with exactly this environment (plus PATH and friends). */
async function startWith(env: Record<string, string>) {
  return run(process.execPath, [BUILT_MAIN], {
    cwd: APP_DIR,
    env: cleanEnv({ PORT: '0', ...env }),
  });
}

describe('the built app refuses a partial or invalid configuration', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['GOTO_CLIENT_ID', without('GOTO_CLIENT_ID'), /GOTO_CLIENT_ID is not set/],
    ['GOTO_USER_ID', without('GOTO_USER_ID'), /GOTO_USER_ID is not set/],
    ['GOTO_PASSWORD', without('GOTO_PASSWORD'), /GOTO_PASSWORD is not set/],
    ['GOTO_PASSWORD (blank)', { ...FULL, GOTO_PASSWORD: '' }, /GOTO_PASSWORD is not set/],
    [
      'GOTO_BASE_URL (not a URL)',
      { ...FULL, GOTO_BASE_URL: 'api.getgo.com' },
      /GOTO_BASE_URL is not a valid URL/,
    ],
    [
      'GOTO_BASE_URL (http, not loopback)',
      { ...FULL, GOTO_BASE_URL: 'http://api.getgo.com' },
      /GOTO_BASE_URL must use https:\/\//,
    ],
    [
      'GOTO_BASE_URL (credentials in it)',
      { ...FULL, GOTO_BASE_URL: `https://user:${PASSWORD}@api.getgo.com` },
      /GOTO_BASE_URL must not contain a user name or password/,
    ],
    ['PORT', { PORT: 'eighty' }, /PORT must be a whole number/],
  ];

  it.each(cases)(
    '%s: names it and exits non-zero, printing no secret',
    async (_name, env, message) => {
      const { code, signal, output } = await startWith(env);
      expect(signal).toBeNull();
      expect(code).toBe(1);
      expect(output).toMatch(/^Configuration error: /m);
      expect(output).toMatch(message);
      expect(output).not.toContain(PASSWORD);
      expect(output).not.toContain(SECRET);
      // It stops before Nest starts: no half-started application.
      expect(output).not.toContain('Nest application');
    },
  );
});
