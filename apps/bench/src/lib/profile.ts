import { readdirSync, readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

export interface FrameMatch {
  name: RegExp;
  url?: RegExp;
}

/** A `.cpuprofile` (from `node --cpu-prof`), queried by which frames are on each sample's stack. */
export class ProfileSummary {
  readonly total: number;
  readonly #inclusive = new Map<string, number>();
  /** Each sample's stack, as `name url` keys, leaf first. */
  readonly #stacks: { keys: string[]; count: number }[] = [];

  constructor(profile: CpuProfile) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes)
      for (const child of node.children ?? []) parent.set(child, node.id);
    const counts = new Map<number, number>();
    for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
    this.total = profile.samples.length;
    for (const [id, count] of counts) {
      const seen = new Set<string>();
      const keys: string[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const node = byId.get(at);
        if (node === undefined) break;
        const key = `${node.callFrame.functionName} ${node.callFrame.url}`;
        keys.push(key);
        if (seen.has(key)) continue;
        seen.add(key);
        this.#inclusive.set(key, (this.#inclusive.get(key) ?? 0) + count);
      }
      this.#stacks.push({ keys, count });
    }
  }

  static fromDirectory(dir: string): ProfileSummary {
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
    return new ProfileSummary(JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as CpuProfile);
  }

  /** Samples that were not idle (the process was running JavaScript, natives or GC). */
  busy(): number {
    let total = 0;
    for (const { keys, count } of this.#stacks) {
      if (!/^\((idle|program)\) /.test(keys[0] ?? '')) total += count;
    }
    return total;
  }

  /**
   * Samples whose innermost frame with a script URL matches `url`: the self time of that code,
   * with the built-ins it calls directly (which have no URL) counted in.
   */
  selfSamples(url: RegExp): number {
    let total = 0;
    for (const { keys, count } of this.#stacks) {
      const inner = keys.find((key) => key.slice(key.indexOf(' ') + 1) !== '');
      if (inner !== undefined && url.test(inner.slice(inner.indexOf(' ') + 1))) total += count;
    }
    return total;
  }

  /**
   * Samples with a frame matching `frame` on the stack (below a frame matching `within`, when
   * given). A frame matches when its function name matches `name` and its script URL `url`.
   */
  samples(frame: FrameMatch, within?: FrameMatch): number {
    const matches = (key: string, m: FrameMatch) => {
      const space = key.indexOf(' ');
      return m.name.test(key.slice(0, space)) && (m.url ?? /./).test(key.slice(space + 1));
    };
    let total = 0;
    for (const { keys, count } of this.#stacks) {
      const at = keys.findIndex((key) => matches(key, frame));
      if (at === -1) continue;
      if (within !== undefined && !keys.slice(at + 1).some((key) => matches(key, within))) continue;
      total += count;
    }
    return total;
  }
}
