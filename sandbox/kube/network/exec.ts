// What a command run in a pod prints: ping (iputils), nslookup, getent hosts, and a few shell basics, answered
// from the cluster DNS model and the network path model. No real sleeping: a ping answers within ~200 ms.
import type { ControllerEnv, ExecHandler, ExecResult, SimClusterHandle } from '../../contracts.ts';
import type { KubeObject } from '../store.ts';
import { clusterDnsIp, type Resolution, resolvConf, resolveName } from './dns.ts';
import { sampleRtt } from './latency.ts';
import { explainPath, locateIp, type PathEnd, type PathVerdict, podMtu } from './path.ts';

const ok = (stdout: string): ExecResult => ({ stdout, stderr: '', exitCode: 0 });

/** Splits a shell command line into words, honouring quotes (enough for `sh -c "ping -c 3 web-0.web"`). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

function podIp(pod: KubeObject): string {
  return (pod.status as { podIP?: string } | undefined)?.podIP ?? '';
}

function nodeIpOf(handle: SimClusterHandle, nodeName: string): string {
  const node = handle.store.get('', 'Node', undefined, nodeName);
  const addrs = (node?.status as { addresses?: Array<{ type: string; address: string }> } | undefined)?.addresses ?? [];
  return addrs.find((a) => a.type === 'InternalIP')?.address ?? '';
}

interface PingOpts {
  count: number;
  waitS: number;
  intervalS: number;
  target: string;
  /** ICMP payload bytes (-s, default 56); the IP packet is 28 more. */
  size: number;
  /** -M do: path MTU discovery, fragmentation forbidden. */
  dontFragment: boolean;
}

function parsePing(args: string[]): PingOpts | string {
  const o: PingOpts = { count: 4, waitS: 10, intervalS: 1, target: '', size: 56, dontFragment: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const val = () => args[++i];
    if (a === '-c') o.count = Number(val());
    else if (a.startsWith('-c') && a.length > 2) o.count = Number(a.slice(2));
    else if (a === '-W') o.waitS = Number(val());
    else if (a === '-w') val();
    else if (a === '-i') o.intervalS = Number(val());
    else if (a === '-s') o.size = Number(val());
    else if (a === '-M') {
      const hint = val();
      if (!['do', 'want', 'dont', 'probe'].includes(hint)) return `ping: invalid -M argument: ${hint}`;
      o.dontFragment = hint === 'do' || hint === 'probe';
    } else if (a === '-q' || a === '-n' || a === '-4') continue;
    else if (a.startsWith('-')) return `ping: invalid option -- '${a.replace(/^-+/, '')}'`;
    else o.target = a;
  }
  if (!o.target) return 'ping: usage error: Destination address required';
  if (!Number.isFinite(o.count) || o.count < 1) return `ping: invalid argument: '${o.count}'`;
  if (!Number.isInteger(o.size) || o.size < 0 || o.size > 65507)
    return `ping: invalid argument: '${o.size}': out of range: 0 <= value <= 65507`;
  o.count = Math.min(10, Math.floor(o.count)); // bounded: the sandbox never pings forever
  return o;
}

function fmt(n: number): string {
  return n.toFixed(3);
}

/** Why a ping from a pod to a name would or would not be answered, without running it. */
export async function explainPing(
  handle: SimClusterHandle,
  env: ControllerEnv,
  namespace: string,
  podName: string,
  target: string,
): Promise<
  PathVerdict | { ok: false; check: 'dns' | 'source' | 'target'; reason: string; evidence: Record<string, string> }
> {
  const pod = handle.store.get('', 'Pod', namespace, podName);
  if (!pod || (pod.status as { phase?: string } | undefined)?.phase !== 'Running') {
    return {
      ok: false,
      check: 'source',
      reason: `pod ${namespace}/${podName} is not running in cluster ${handle.placement.name}`,
      evidence: {},
    };
  }
  const r = resolveName(handle, namespace, target);
  if (!r)
    return { ok: false, check: 'dns', reason: `${target} does not resolve from ${namespace}/${podName}`, evidence: {} };
  const ip = r.ips[0];
  const where = locateIp(env, handle, ip);
  if (!where) return { ok: false, check: 'target', reason: `no pod or node holds ${ip}`, evidence: { ip } };
  if ('service' in where)
    return {
      ok: false,
      check: 'target',
      reason: `${ip} is a ClusterIP: a virtual address that answers no ICMP`,
      evidence: { ip },
    };
  const nodeName = (pod.spec as { nodeName?: string }).nodeName ?? '';
  return explainPath(env, { handle, pod, nodeName, nodeIp: nodeIpOf(handle, nodeName), ip: podIp(pod) }, where);
}

/** The pod's /etc/hosts: localhost and its own hostname. */
function etcHosts(pod: KubeObject, name: string): Resolution | undefined {
  if (name === 'localhost' || name === 'localhost.localdomain')
    return { fqdn: name, ips: ['127.0.0.1'], kind: 'literal' };
  const spec = pod.spec as { hostname?: string; subdomain?: string };
  const hostname = spec.hostname ?? pod.metadata.name;
  const ip = podIp(pod);
  if (ip && name === hostname) {
    const fqdn = spec.subdomain
      ? `${hostname}.${spec.subdomain}.${pod.metadata.namespace}.svc.cluster.local`
      : hostname;
    return { fqdn, ips: [ip], kind: 'pod' };
  }
  return undefined;
}

export class NetworkExec {
  private readonly handle: SimClusterHandle;
  private readonly env: ControllerEnv;

  constructor(handle: SimClusterHandle, env: ControllerEnv) {
    this.handle = handle;
    this.env = env;
  }

  readonly exec: ExecHandler = async (req) => {
    const pod = this.handle.store.get('', 'Pod', req.namespace, req.pod);
    if (!pod) return { stdout: '', stderr: `Error from server (NotFound): pods "${req.pod}" not found\n`, exitCode: 1 };
    const containers = ((pod.spec as { containers?: Array<{ name: string }> })?.containers ?? []).map((c) => c.name);
    if (req.container && !containers.includes(req.container)) {
      return {
        stdout: '',
        stderr: `error: unable to upgrade connection: container ${req.container} not found in pod ${req.pod}\n`,
        exitCode: 1,
      };
    }
    if ((pod.status as { phase?: string } | undefined)?.phase !== 'Running') {
      return {
        stdout: '',
        stderr: `error: unable to upgrade connection: container not found ("${req.container ?? containers[0] ?? ''}")\n`,
        exitCode: 1,
      };
    }
    const [cmd, ...args] = req.command;
    const base = (cmd ?? '').split('/').pop() ?? '';
    if (['sh', 'bash', 'ash', 'zsh'].includes(base) && args[0] === '-c') return this.shell(pod, args[1] ?? '');
    return this.run(pod, req.command, false);
  };

  private async shell(pod: KubeObject, line: string): Promise<ExecResult> {
    // Sequences with ; && || are enough for what an operator types into kubectl exec.
    const parts = line.split(/(&&|\|\||;)/).map((s) => s.trim());
    let out = '';
    let err = '';
    let code = 0;
    let op = ';';
    for (const part of parts) {
      if (part === '&&' || part === '||' || part === ';') {
        op = part;
        continue;
      }
      if (!part) continue;
      if ((op === '&&' && code !== 0) || (op === '||' && code === 0)) continue;
      const r = await this.run(pod, shellWords(part), true);
      out += r.stdout;
      err += r.stderr;
      code = r.exitCode;
    }
    return { stdout: out, stderr: err, exitCode: code };
  }

  private async run(pod: KubeObject, argv: string[], inShell: boolean): Promise<ExecResult> {
    const [cmd = '', ...args] = argv;
    const ns = pod.metadata.namespace!;
    switch (cmd.split('/').pop()) {
      case 'true':
      case 'sleep':
        return ok('');
      case 'false':
        return { stdout: '', stderr: '', exitCode: 1 };
      case 'echo':
        return ok(`${args.join(' ')}\n`);
      case 'hostname':
        return ok(`${(pod.spec as { hostname?: string }).hostname ?? pod.metadata.name}\n`);
      case 'cat':
        if (args[0] === '/etc/resolv.conf') return ok(resolvConf(this.handle, ns));
        return { stdout: '', stderr: `cat: can't open '${args[0] ?? ''}': No such file or directory\n`, exitCode: 1 };
      case 'ping':
        return this.ping(pod, args);
      case 'nslookup':
        return this.nslookup(ns, args);
      case 'getent':
        return this.getent(pod, ns, args);
      default:
        return inShell
          ? { stdout: '', stderr: `sh: ${cmd}: not found\n`, exitCode: 127 }
          : {
              stdout: '',
              stderr: `error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": executable file not found in $PATH: unknown\n`,
              exitCode: 126,
            };
    }
  }

  private nslookup(ns: string, args: string[]): ExecResult {
    const name = args.find((a) => !a.startsWith('-'));
    if (!name) return { stdout: '', stderr: 'nslookup: missing name\n', exitCode: 1 };
    const dns = clusterDnsIp(this.handle);
    const head = `Server:\t\t${dns}\nAddress:\t${dns}#53\n\n`;
    const r = resolveName(this.handle, ns, name);
    if (!r) return { stdout: `${head}** server can't find ${name}: NXDOMAIN\n\n`, stderr: '', exitCode: 1 };
    return ok(`${head}${r.ips.map((ip) => `Name:\t${r.fqdn}\nAddress: ${ip}\n`).join('')}\n`);
  }

  private getent(pod: KubeObject, ns: string, args: string[]): ExecResult {
    if (args[0] !== 'hosts' || !args[1]) return { stdout: '', stderr: '', exitCode: 1 };
    const r = etcHosts(pod, args[1]) ?? resolveName(this.handle, ns, args[1]);
    if (!r) return { stdout: '', stderr: '', exitCode: 2 };
    return ok(`${r.ips[0].padEnd(15)} ${r.fqdn}\n`);
  }

  private async ping(pod: KubeObject, args: string[]): Promise<ExecResult> {
    const opts = parsePing(args);
    if (typeof opts === 'string') return { stdout: '', stderr: `${opts}\n`, exitCode: 2 };
    const ns = pod.metadata.namespace!;
    const r = etcHosts(pod, opts.target) ?? resolveName(this.handle, ns, opts.target);
    if (!r) return { stdout: '', stderr: `ping: ${opts.target}: Name or service not known\n`, exitCode: 2 };
    const ip = r.ips[0];
    const head = `PING ${opts.target} (${ip}) ${opts.size}(${opts.size + 28}) bytes of data.\n`;
    if (ip.startsWith('127.')) return this.replies(head, opts, ip, { rtt: [0.02, 0.06], ttl: 64 });
    const mtu = podMtu(this.handle);
    if (opts.dontFragment && opts.size + 28 > mtu) {
      // iputils: the kernel refuses to send it at all, once per packet.
      const errors = Array.from({ length: opts.count }, () => `ping: local error: message too long, mtu=${mtu}\n`).join(
        '',
      );
      const stats = `${opts.count} packets transmitted, 0 received, +${opts.count} errors, 100% packet loss, time 0ms`;
      return { stdout: `${head}\n--- ${opts.target} ping statistics ---\n${stats}\n\n`, stderr: errors, exitCode: 1 };
    }
    const nodeName = (pod.spec as { nodeName?: string }).nodeName ?? '';
    const src: PathEnd = {
      handle: this.handle,
      pod,
      nodeName,
      nodeIp: nodeIpOf(this.handle, nodeName),
      ip: podIp(pod),
    };
    const where = locateIp(this.env, this.handle, ip);
    let reply: { rtt: [number, number]; ttl: number } | undefined;
    let why = '';
    if (!where) why = `no pod or node holds ${ip}`;
    else if ('service' in where) why = `${ip} is a ClusterIP: a virtual address that answers no ICMP`;
    else {
      const verdict = await explainPath(this.env, src, where, {
        bytes: opts.size + 28,
        dontFragment: opts.dontFragment,
      });
      if (verdict.ok) reply = { rtt: verdict.rtt, ttl: verdict.ttl };
      else why = `${verdict.reason} ${JSON.stringify(verdict.evidence)}`;
    }
    const intervalMs = Math.max(0.2, opts.intervalS) * 1000;
    if (!reply) {
      this.handle.logs.append(
        'kube-system',
        'sandbox-network',
        `${new Date().toISOString()} ping from ${ns}/${pod.metadata.name} to ${opts.target} (${ip}) lost: ${why}`,
      );
      const time = Math.round((opts.count - 1) * intervalMs + opts.waitS * 1000 * 0.004 + 30);
      return {
        stdout: `${head}\n--- ${opts.target} ping statistics ---\n${opts.count} packets transmitted, 0 received, 100% packet loss, time ${time}ms\n\n`,
        stderr: '',
        exitCode: 1,
      };
    }
    return this.replies(head, opts, ip, reply);
  }

  private async replies(
    head: string,
    opts: PingOpts,
    ip: string,
    reply: { rtt: [number, number]; ttl: number },
  ): Promise<ExecResult> {
    const intervalMs = Math.max(0.2, opts.intervalS) * 1000;
    const rtts = Array.from({ length: opts.count }, () => sampleRtt(reply.rtt));
    // A short pause of about one round trip, capped, so callers see a plausible but prompt answer.
    await new Promise((res) => setTimeout(res, Math.min(150, rtts[0])));
    const lines = rtts.map(
      (t, i) =>
        `${opts.size + 8} bytes from ${ip}: icmp_seq=${i + 1} ttl=${reply.ttl} time=${t < 10 ? t.toFixed(3) : t.toFixed(1)} ms\n`,
    );
    const min = Math.min(...rtts);
    const max = Math.max(...rtts);
    const avg = rtts.reduce((s, t) => s + t, 0) / rtts.length;
    const mdev = Math.sqrt(rtts.reduce((s, t) => s + (t - avg) ** 2, 0) / rtts.length);
    const time = Math.round((opts.count - 1) * intervalMs + rtts[rtts.length - 1]);
    return ok(
      `${head}${lines.join('')}\n--- ${opts.target} ping statistics ---\n${opts.count} packets transmitted, ${opts.count} received, 0% packet loss, time ${time}ms\nrtt min/avg/max/mdev = ${fmt(min)}/${fmt(avg)}/${fmt(max)}/${fmt(mdev)} ms\n`,
    );
  }
}
