import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGoToAuth, type GoToAuth, type GoToAuthOptions } from '@goto-auth/core';
import { EMULATOR_DEFAULTS, type GoToEmulator, startEmulator } from '@goto-auth/emulator';
import { afterEach } from 'vitest';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

export async function emulator(): Promise<GoToEmulator> {
  const emu = await startEmulator();
  cleanups.push(() => emu.close());
  return emu;
}

export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  const instance = createGoToAuth({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    userId: EMULATOR_DEFAULTS.userId,
    password: EMULATOR_DEFAULTS.password,
    baseUrl: emu.url,
    logger: false,
    // The 5 s floor between grants after rejections would only slow these tests down.
    minGrantInterval: 0,
    ...options,
  });
  cleanups.push(() => instance.close());
  return instance;
}

/** Grants the emulator made (password and refresh). */
export function grants(emu: GoToEmulator): number {
  return emu.counters.passwordGrants + emu.counters.refreshGrants;
}

export interface Recorded {
  method: string | undefined;
  authorization: string | undefined;
  body: string;
}

/** A plain node:http server on 127.0.0.1 and a free port that records what it receives. */
export async function server(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: string; received: Recorded[] }> {
  const received: Recorded[] = [];
  const http = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ method: req.method, authorization: req.headers.authorization, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  );
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
