import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GoToAuth, GoToAuthOptions } from '@goto-auth/core';
import type { GoToEmulator } from '@goto-auth/emulator';
import { serve, auth as testAuth } from '@goto-auth/test-support';

export { emulator } from '@goto-auth/test-support';

export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  // The 5 s floor between grants after rejections would only slow these tests down.
  return testAuth(emu, { minGrantInterval: 0, ...options });
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
  const url = await serve((req, res) => {
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
  return { url, received };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
