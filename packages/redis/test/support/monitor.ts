/**
 * Counts the commands a Redis server executes, with MONITOR. Windows are bounded by marker
 * commands sent on a separate connection, so MONITOR's asynchronous delivery cannot blur them.
 */
import { Redis } from 'ioredis';

export interface CommandMonitor {
  /** Every command a client sent, lower-case name first. */
  readonly commands: string[][];
  /** How many commands ran inside scripts (MONITOR shows those too, from source "lua"). */
  readonly scripted: () => number;
  /** Sends a marker and resolves once MONITOR delivered it; returns its index in `commands`. */
  mark(): Promise<number>;
  /** The commands between two marks, markers excluded. */
  between(from: number, to: number): string[][];
  close(): void;
}

export async function monitorCommands(port: number): Promise<CommandMonitor> {
  const source = new Redis({ host: '127.0.0.1', port });
  const marker = new Redis({ host: '127.0.0.1', port });
  const monitor = await source.monitor();
  const commands: string[][] = [];
  const waiting = new Map<string, (index: number) => void>();
  let scripted = 0;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') {
      scripted++;
      return;
    }
    const [name = '', ...rest] = args;
    const command = [name.toLowerCase(), ...rest];
    commands.push(command);
    if (command[0] === 'echo' && rest[0] !== undefined) waiting.get(rest[0])?.(commands.length - 1);
  });
  let next = 0;
  return {
    commands,
    scripted: () => scripted,
    async mark() {
      const label = `goto-auth-test-marker-${next++}`;
      const seen = new Promise<number>((resolve) => waiting.set(label, resolve));
      await marker.echo(label);
      const index = await seen;
      waiting.delete(label);
      return index;
    },
    between(from, to) {
      return commands.slice(from + 1, to);
    },
    close() {
      monitor.disconnect();
      source.disconnect();
      marker.disconnect();
    },
  };
}
