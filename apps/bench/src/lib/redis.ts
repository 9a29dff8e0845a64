/** `INFO commandstats` as command → calls. */
export function parseCommandStats(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match?.[1] !== undefined) calls.set(match[1], Number(match[2]));
  }
  return calls;
}

/** Commands sent between two `INFO commandstats` snapshots, without the INFO calls themselves. */
export function commandDelta(
  before: Map<string, number>,
  after: Map<string, number>,
): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [command, calls] of after) {
    if (command === 'info') continue;
    const sent = calls - (before.get(command) ?? 0);
    if (sent > 0) delta.set(command, sent);
  }
  return delta;
}

export function total(delta: Map<string, number>): number {
  let sum = 0;
  for (const calls of delta.values()) sum += calls;
  return sum;
}

export function describeDelta(delta: Map<string, number>): string {
  if (delta.size === 0) return 'none';
  return [...delta].map(([command, calls]) => `${command} ×${calls}`).join(', ');
}

/** One command seen by MONITOR: lower-case name first; `scripted` when a Lua script ran it. */
export interface SeenCommand {
  args: string[];
  scripted: boolean;
}

/**
 * Records the commands a Redis server runs, with MONITOR. Windows are bounded by ECHO markers
 * sent on another connection, so MONITOR's asynchronous delivery cannot blur them.
 */
export interface CommandMonitor {
  /** Sends a marker and resolves once MONITOR delivered it; returns its position. */
  mark(): Promise<number>;
  /** The commands between two marks, markers and INFO (our own snapshots) excluded. */
  between(from: number, to: number): SeenCommand[];
  close(): void;
}

export async function monitorCommands(port: number): Promise<CommandMonitor> {
  const { Redis } = await import('ioredis');
  const source = new Redis({ host: '127.0.0.1', port });
  const marker = new Redis({ host: '127.0.0.1', port });
  const monitor = await source.monitor();
  const seen: SeenCommand[] = [];
  const waiting = new Map<string, (index: number) => void>();
  monitor.on('monitor', (_time: string, args: string[], from: string) => {
    const [name = '', ...rest] = args;
    seen.push({ args: [name.toLowerCase(), ...rest], scripted: from === 'lua' });
    if (name.toLowerCase() === 'echo' && rest[0] !== undefined) {
      waiting.get(rest[0])?.(seen.length - 1);
    }
  });
  let next = 0;
  return {
    async mark() {
      const label = `goto-auth-bench-marker-${next++}`;
      const delivered = new Promise<number>((resolve) => waiting.set(label, resolve));
      await marker.echo(label);
      const index = await delivered;
      waiting.delete(label);
      return index;
    },
    between(from, to) {
      return seen.slice(from + 1, to).filter((command) => command.args[0] !== 'info');
    },
    close() {
      monitor.disconnect();
      source.disconnect();
      marker.disconnect();
    },
  };
}

/** `hget set hget evalsha evalsha`, plus how many commands the scripts ran. */
export function describeCommands(commands: readonly SeenCommand[]): string {
  const sent = commands.filter((c) => !c.scripted).map((c) => c.args[0]);
  const scripted = commands.length - sent.length;
  if (sent.length === 0) return 'none';
  return `${sent.join(' ')}${scripted > 0 ? `; their scripts ran ${scripted} more` : ''}`;
}

export function sentCount(commands: readonly SeenCommand[]): number {
  return commands.filter((c) => !c.scripted).length;
}
