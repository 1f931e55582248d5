// Container logs of one stand-in, kept per pod: what `kubectl logs` and the product's log reads return.

export interface LogLine {
  at: number;
  text: string;
}

export class PodLogStore {
  private readonly lines = new Map<string, LogLine[]>();
  private readonly maxLinesPerPod = 5000;

  append(namespace: string, pod: string, text: string, at = Date.now()): void {
    const key = `${namespace}/${pod}`;
    let list = this.lines.get(key);
    if (!list) this.lines.set(key, (list = []));
    list.push({ at, text });
    if (list.length > this.maxLinesPerPod) list.splice(0, list.length - this.maxLinesPerPod);
  }

  read(
    namespace: string,
    pod: string,
    opts: { tailLines?: number; sinceSeconds?: number; now?: number } = {},
  ): LogLine[] {
    let list = this.lines.get(`${namespace}/${pod}`) ?? [];
    if (opts.sinceSeconds !== undefined) {
      const since = (opts.now ?? Date.now()) - opts.sinceSeconds * 1000;
      list = list.filter((l) => l.at >= since);
    }
    if (opts.tailLines !== undefined) list = list.slice(Math.max(0, list.length - opts.tailLines));
    return list;
  }

  /**
   * The kubelet rotating the container log (containerLogMaxSize): `kubectl logs` reads only the current file, so
   * what was logged before is gone from the API's view.
   */
  rotate(namespace: string, pod: string): void {
    this.lines.set(`${namespace}/${pod}`, []);
  }

  clear(namespace: string, pod: string): void {
    this.lines.delete(`${namespace}/${pod}`);
  }
}
