import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { describeCommand, helpText, parseMeshCommand, SUBCOMMANDS } from '../../../commands/parse.ts';
import { parseSpec } from '../../../src/config/spec.ts';
import type { MeshCommand } from '../../../src/mesh-command.ts';
import { isMutating } from '../../../src/mesh-command.ts';

const meshText = readFileSync(new URL('../../../infra/mesh.yaml', import.meta.url), 'utf8');
const spec = parseSpec(meshText, 'infra/mesh.yaml');
const three = (() => {
  const s = parse(meshText);
  s.clusters.push({ name: 'fra', region: 'eu-central-1', vpcCidr: '10.2.0.0/16', podCidr: '192.168.3.0/24' });
  return parseSpec(stringify(s), 'three');
})();

describe('parseMeshCommand: good input', () => {
  it.each<[string, MeshCommand]>([
    ['', { kind: 'help' }],
    ['   ', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['help scale', { kind: 'help', topic: 'scale' }],
    ['HELP Ping', { kind: 'help', topic: 'ping' }],
    ['--help', { kind: 'help' }],
    ['up', { kind: 'up', dryRun: false }],
    ['up --dry-run', { kind: 'up', dryRun: true }],
    ['UP   --DRY-RUN ', { kind: 'up', dryRun: true }],
    ['up —dry-run', { kind: 'up', dryRun: true }],
    ['status', { kind: 'status', wait: false }],
    ['Status --wait', { kind: 'status', wait: true }],
    ['scale iad 2', { kind: 'scale', cluster: 'iad', replicas: 2 }],
    ['  scale   PDX  0 ', { kind: 'scale', cluster: 'pdx', replicas: 0 }],
    ['scale `iad` 20', { kind: 'scale', cluster: 'iad', replicas: 20 }],
    ['ping iad pdx', { kind: 'ping', from: 'iad', target: { kind: 'service', cluster: 'pdx' } }],
    ['ping iad pdx-0', { kind: 'ping', from: 'iad', target: { kind: 'pod', cluster: 'pdx', ordinal: 0 } }],
    ['ping pdx iad-19', { kind: 'ping', from: 'pdx', target: { kind: 'pod', cluster: 'iad', ordinal: 19 } }],
    [
      'ping iad multi-cluster-rs-pdx-3',
      { kind: 'ping', from: 'iad', target: { kind: 'pod', cluster: 'pdx', ordinal: 3 } },
    ],
    ['ping iad all', { kind: 'ping', from: 'iad', target: { kind: 'all' } }],
    ['ping IAD ALL', { kind: 'ping', from: 'iad', target: { kind: 'all' } }],
    ['down', { kind: 'down' }],
    ['down --confirm demo', { kind: 'down', confirm: 'demo' }],
    ['down --confirm=demo', { kind: 'down', confirm: 'demo' }],
    ['down —confirm demo', { kind: 'down', confirm: 'demo' }],
    ['cancel', { kind: 'cancel' }],
    ['cancel 42', { kind: 'cancel', jobId: '42' }],
    ['cancel #42', { kind: 'cancel', jobId: '42' }],
    ['cancel job-12', { kind: 'cancel', jobId: 'job-12' }],
  ])('%j', (text, command) => {
    expect(parseMeshCommand(text, spec)).toEqual({ ok: true, command });
  });

  it('knows the clusters of the spec it is given', () => {
    expect(parseMeshCommand('ping fra iad-1', three)).toEqual({
      ok: true,
      command: { kind: 'ping', from: 'fra', target: { kind: 'pod', cluster: 'iad', ordinal: 1 } },
    });
    expect(parseMeshCommand('scale fra 1', spec).ok).toBe(false);
  });
});

describe('parseMeshCommand: bad input says what was wrong and shows the right form', () => {
  it.each<[string, RegExp, RegExp]>([
    // subcommand
    [
      'stauts',
      /`stauts` is not a \/mesh command; did you mean `status`\?/,
      /\/mesh up\|status\|scale\|ping\|down\|cancel\|watch\|help/,
    ],
    ['sacle iad 2', /did you mean `scale`\?/, /\/mesh up\|status/],
    ['destroy', /did you mean `down`\?/, /\/mesh up/],
    ['frobnicate', /`frobnicate` is not a \/mesh command\. Try `\/mesh help`/, /\/mesh up/],
    [
      'help scael',
      /`scael` is not a command; did you mean `scale`\? \(commands: up, status, scale, ping, down, cancel, watch, help\)/,
      /\/mesh help \[COMMAND\]/,
    ],
    ['help scale ping', /takes at most one command; `ping` is extra/, /\/mesh help/],
    // flags and extra arguments
    [
      'up --dryrun',
      /`--dryrun` is not a flag of `\/mesh up`; did you mean `--dry-run`\? \(flags: --dry-run\)/,
      /\/mesh up \[--dry-run\]/,
    ],
    ['up now', /`\/mesh up` takes no arguments; got `now`/, /\/mesh up \[--dry-run\]/],
    ['up --dry-run=yes', /`--dry-run` takes no value/, /\/mesh up/],
    ['status --wait --wait', /`--wait` is given twice/, /\/mesh status \[--wait\]/],
    ['status iad', /`\/mesh status` takes no arguments; got `iad`/, /\/mesh status \[--wait\]/],
    ['status --force', /`--force` is not a flag of `\/mesh status` \(flags: --wait\)/, /\/mesh status/],
    [
      'scale --replicas 2 iad',
      /`--replicas` is not a flag of `\/mesh scale` \(it takes no flags\)/,
      /\/mesh scale CLUSTER REPLICAS/,
    ],
    // scale
    [
      'scale',
      /`\/mesh scale` needs a cluster and a replica count/,
      /Usage: `\/mesh scale CLUSTER REPLICAS`, e\.g\. `\/mesh scale iad 2`/,
    ],
    ['scale iad', /`\/mesh scale` needs a replica count/, /\/mesh scale CLUSTER REPLICAS/],
    ['scale iad 2 3', /takes two arguments; `3` is extra/, /\/mesh scale/],
    ['scale ord 2', /`ord` is not a cluster of mesh demo \(clusters: iad, pdx\)/, /\/mesh scale/],
    [
      'scale iadd 2',
      /`iadd` is not a cluster of mesh demo; did you mean `iad`\? \(clusters: iad, pdx\)/,
      /\/mesh scale/,
    ],
    ['scale iad two', /replicas must be a whole number from 0 to 20; got `two`/, /\/mesh scale/],
    ['scale iad 2.5', /whole number from 0 to 20; got `2.5`/, /\/mesh scale/],
    ['scale iad -1', /whole number from 0 to 20; got `-1`/, /\/mesh scale/],
    ['scale iad 21', /whole number from 0 to 20; got `21`/, /\/mesh scale/],
    // ping
    [
      'ping',
      /`\/mesh ping` needs a cluster to ping from and a target/,
      /\/mesh ping FROM-CLUSTER CLUSTER\|CLUSTER-N\|all`, e\.g\. `\/mesh ping iad pdx-0`/,
    ],
    ['ping iad', /`\/mesh ping` needs a target/, /\/mesh ping FROM-CLUSTER/],
    ['ping iad pdx extra', /takes two arguments; `extra` is extra/, /\/mesh ping/],
    ['ping ord pdx', /`ord` is not a cluster of mesh demo \(clusters: iad, pdx\)/, /\/mesh ping/],
    ['ping iad iad', /`iad` is in iad, the cluster you ping from; pick a target in another cluster/, /\/mesh ping/],
    ['ping iad iad-0', /`iad-0` is in iad, the cluster you ping from/, /\/mesh ping/],
    ['ping iad pdx-x', /in `pdx-x`, the pod ordinal must be a whole number from 0 to 19; got `x`/, /\/mesh ping/],
    ['ping iad pdx-20', /ordinal must be a whole number from 0 to 19; got `20`/, /\/mesh ping/],
    [
      'ping iad google.com',
      /`google.com` is neither a cluster \(iad, pdx\), a pod of a cluster \(like `pdx-0`\) nor `all`/,
      /\/mesh ping/,
    ],
    // down
    [
      'down --confirm dmeo',
      /`--confirm` must be this mesh's name, `demo`; got `dmeo`/,
      /e\.g\. `\/mesh down --confirm demo`/,
    ],
    ['down --confirm', /`--confirm` needs a value: `--confirm MESH-NAME`/, /\/mesh down \[--confirm MESH-NAME\]/],
    [
      'down demo',
      /`\/mesh down` takes no arguments; got `demo`; to confirm, write `\/mesh down --confirm demo`/,
      /\/mesh down/,
    ],
    ['down --force', /`--force` is not a flag of `\/mesh down` \(flags: --confirm MESH-NAME\)/, /\/mesh down/],
    // cancel
    ['cancel 1 2', /takes at most one job id; `2` is extra/, /\/mesh cancel \[JOB-ID\]/],
    ['cancel j*b', /`j\*b` is not a job id; job ids are the number the job's message shows, like 42/, /\/mesh cancel/],
    ['cancel up:7', /`up:7` is not a job id/, /\/mesh cancel/],
  ])('%j', (text, error, usage) => {
    const r = parseMeshCommand(text, spec);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(error);
    expect(r.usage).toMatch(usage);
  });
});

describe('describeCommand', () => {
  it.each<[MeshCommand, string]>([
    [{ kind: 'help' }, '/mesh help'],
    [{ kind: 'help', topic: 'scale' }, '/mesh help scale'],
    [{ kind: 'up', dryRun: false }, '/mesh up'],
    [{ kind: 'up', dryRun: true }, '/mesh up --dry-run'],
    [{ kind: 'status', wait: true }, '/mesh status --wait'],
    [{ kind: 'scale', cluster: 'iad', replicas: 2 }, '/mesh scale iad 2'],
    [{ kind: 'ping', from: 'iad', target: { kind: 'service', cluster: 'pdx' } }, '/mesh ping iad pdx'],
    [{ kind: 'ping', from: 'iad', target: { kind: 'pod', cluster: 'pdx', ordinal: 0 } }, '/mesh ping iad pdx-0'],
    [{ kind: 'ping', from: 'pdx', target: { kind: 'all' } }, '/mesh ping pdx all'],
    [{ kind: 'down' }, '/mesh down'],
    [{ kind: 'down', confirm: 'demo' }, '/mesh down --confirm demo'],
    [{ kind: 'cancel' }, '/mesh cancel'],
    [{ kind: 'cancel', jobId: '42' }, '/mesh cancel 42'],
  ])('%j reads %s, which parses back to the same command', (cmd, text) => {
    expect(describeCommand(cmd)).toBe(text);
    expect(parseMeshCommand(text.replace(/^\/mesh\s*/, ''), spec)).toEqual({ ok: true, command: cmd });
  });
});

describe('isMutating', () => {
  it.each<[MeshCommand, boolean]>([
    [{ kind: 'up', dryRun: false }, true],
    [{ kind: 'up', dryRun: true }, false],
    [{ kind: 'down' }, true],
    [{ kind: 'down', confirm: 'demo' }, true],
    [{ kind: 'scale', cluster: 'iad', replicas: 1 }, true],
    [{ kind: 'status', wait: false }, false],
    [{ kind: 'ping', from: 'iad', target: { kind: 'all' } }, false],
    [{ kind: 'cancel' }, false],
    [{ kind: 'help' }, false],
  ])('%j: %s', (cmd, want) => {
    expect(isMutating(cmd)).toBe(want);
  });
});

describe('helpText', () => {
  it('names the mesh and its clusters, and every command with one line and an example', () => {
    const text = helpText(three);
    expect(text).toContain('mesh *demo*: clusters iad (us-east-1), pdx (us-west-2), fra (eu-central-1)');
    for (const sub of SUBCOMMANDS) {
      const line = text.split('\n').find((l) => l.startsWith(`• \`/mesh ${sub.name}`));
      expect(line, sub.name).toBeDefined();
      expect(line).toContain(`e.g. \`${sub.example(three)}\``);
      // Every example in help is itself a valid command.
      expect(parseMeshCommand(sub.example(three).replace(/^\/mesh /, ''), three).ok).toBe(true);
    }
    expect(text).not.toMatch(/<[a-z]/); // no raw angle brackets: Slack would read them as links
  });

  it('explains one command in detail', () => {
    const text = helpText(spec, 'scale');
    expect(text).toContain('/mesh scale CLUSTER REPLICAS');
    expect(text).toContain('from 0 to 20');
    expect(text).toContain('Clusters: iad, pdx');
    expect(text).toContain('Example: `/mesh scale iad 2`');
  });
});
