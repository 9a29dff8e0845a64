/** Ports for tests and benchmarks: never a customary one (6379, 3000), never one in use. */
import { once } from 'node:events';
import { createServer } from 'node:net';

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback TCP port nobody listens on right now (another program could still take it before
 * the caller binds: callers that can, retry on a bind failure).
 *
 * @param options.clusterBus - the port + 10000 must be free too (a Redis Cluster node's bus):
 *   then the port is drawn from 20000–49999 rather than given by the kernel
 */
export async function freePort(options: { clusterBus?: boolean } = {}): Promise<number> {
  if (options.clusterBus !== true) {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    await new Promise((resolve) => server.close(resolve));
    if (typeof address !== 'object' || address === null) throw new Error('Found no free port.');
    return address.port;
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) return port;
  }
  throw new Error('Found no free port with a free cluster bus port.');
}
