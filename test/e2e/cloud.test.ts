// The whole-mesh flow with `calico.variant: cloud` for three clusters, from Slack on the sandbox: each cluster runs
// Calico Open Source, the Calico Cloud join (installer manifest, then the join minted for that cluster's own token)
// upgrades it to Enterprise and connects it to the management plane through guardian, and the mesh is then built,
// checked, pinged and torn down as with Enterprise. Calico Cloud refuses a join already connected from another
// live cluster, so one token for all three would fail here.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { ROOT, type Sandbox } from '../../sandbox/sandbox.ts';
import { countMesh, expectedCounts, sandboxFor, seen, ZERO } from './helpers.ts';

const run = promisify(execFile);
let sb: Sandbox;
const DIR = `${process.cwd()}/.sandbox/test-cloud`;
const CLUSTERS = ['iad', 'pdx', 'fra'];

/** `kubectl get` through the kubeconfig the sandbox wrote, as a user would read the cluster. */
async function kubectl(context: string, args: string[]): Promise<string> {
  const base = ['--kubeconfig', sb.kubeconfigPath, '--context', context];
  return (await run('kubectl', [...base, ...args], { timeout: 30_000 })).stdout;
}

beforeAll(async () => {
  // The three-cluster spec with Calico Cloud instead of Enterprise (the sandbox points it at Calico's own manifests).
  const doc = parseYaml(await readFile(`${ROOT}test/fixtures/mesh-three.yaml`, 'utf8')) as {
    calico: Record<string, unknown>;
  };
  doc.calico.variant = 'cloud';
  await mkdir(DIR, { recursive: true });
  const specPath = `${DIR}/cloud-mesh.yaml`;
  await writeFile(specPath, stringify(doc));
  sb = await sandboxFor('cloud', { specPath });
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe('Calico Cloud from Slack', () => {
  it('/mesh up joins each cluster to Calico Cloud with its own token after Calico Open Source is up, then builds the mesh', async () => {
    const up = await sb.run(`up --confirm ${sb.spec.name}`);
    expect(up.ok, seen(up.anchor)).toBe(true);
    const thread = up.thread.map((m) => seen(m)).join('\n');
    for (const c of CLUSTERS) {
      expect(thread).toMatch(new RegExp(`${c}: .*Installation default \\(cloud, pool`));
      expect(thread).toMatch(
        new RegExp(
          `${c}: .*connected to Calico Cloud as trio-${c} \\(installer complete, Installation upgraded to ` +
            'TigeraSecureEnterprise, management-cluster-connection Available, guardian to [^)]+:9000\\)',
        ),
      );
      expect(thread).toContain(`Sending in-sync update for RemoteClusterConfiguration(${c})`);
    }
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(3));
    // One join per cluster, each connected under its own name; no token reaches Slack or the bot's log.
    expect(sb.cloud.calicoCloud.joins()).toBe(3);
    expect(sb.cloud.calicoCloud.managedClusters()).toEqual(
      CLUSTERS.map((c) => ({ name: `trio-${c}`, connected: true })),
    );
    const log = await readFile(`${DIR}/bot.log`, 'utf8');
    for (const token of sb.cloud.calicoCloud.tokens()) {
      expect(thread).not.toContain(token);
      expect(log).not.toContain(token);
    }
  }, 600_000);

  it('kubectl shows every cluster connected: the Installer complete, the Installation Enterprise, guardian Available', async () => {
    // What a user would type, for the three clusters at once (each kubectl is a process of its own).
    const read = (c: string) =>
      Promise.all([
        kubectl(c, [
          'get',
          'installers.operator.calicocloud.io',
          '-n',
          'calico-cloud',
          '-o',
          'jsonpath={range .items[*]}{.metadata.name}={.status.state} {.status.clusterName}{"\\n"}{end}',
        ]),
        kubectl(c, ['get', 'installations.operator.tigera.io', 'default', '-o', 'jsonpath={.spec.variant}']),
        kubectl(c, ['get', 'remoteclusterconfigurations.projectcalico.org', '-o', 'name']),
        kubectl(c, [
          'get',
          'tigerastatus',
          'management-cluster-connection',
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Available")].status}',
        ]),
        kubectl(c, [
          'get',
          'deployment',
          'guardian',
          '-n',
          'calico-system',
          '-o',
          'jsonpath={.status.availableReplicas}',
        ]),
      ]);
    const seenBy = await Promise.all(CLUSTERS.map(read));
    CLUSTERS.forEach((c, i) => {
      const [states, variant, rcc, connection, guardian] = seenBy[i];
      expect(states.trim(), c).toBe(`default=complete trio-${c}`);
      expect(variant, c).toBe('TigeraSecureEnterprise');
      expect(rcc, c).toMatch(/remoteclusterconfiguration\.projectcalico\.org\/(iad|pdx|fra)/);
      expect(connection, c).toBe('True');
      expect(guardian, c).toBe('1');
    });
  }, 90_000);

  it('/mesh status reads every part as ok', async () => {
    const status = await sb.run('status');
    expect(status.ok).toBe(true);
    const text = seen(status.anchor);
    expect(text).toMatch(/Mesh \*trio\* is healthy/);
    expect(text).not.toContain(':red_circle:');
    expect(text.match(/TigeraStatus management-cluster-connection: Available \(guardian to [^)]+\)/g)).toHaveLength(3);
  }, 120_000);

  it('/mesh ping fra iad answers across regions', async () => {
    const ping = await sb.run('ping fra iad');
    expect(ping.ok, seen(ping.anchor)).toBe(true);
    expect(seen(ping.anchor)).toContain('multi-cluster-rs-iad');
  }, 120_000);

  it('/mesh down --confirm trio deletes everything the mesh owns, and no cluster stays connected', async () => {
    const down = await sb.run('down --confirm trio', { timeoutMs: 300_000 });
    expect(down.ok, seen(down.anchor)).toBe(true);
    expect(seen(down.anchor)).toMatch(/is gone/);
    expect(await countMesh(sb)).toEqual(ZERO);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
    // Calico Cloud keeps each managed cluster's entry (its Managed Clusters page), disconnected.
    expect(sb.cloud.calicoCloud.managedClusters()).toEqual(
      CLUSTERS.map((c) => ({ name: `trio-${c}`, connected: false })),
    );
  }, 400_000);
});
