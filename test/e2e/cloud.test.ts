// The whole-mesh flow with `calico.variant: cloud`, from Slack on the sandbox: each cluster runs Calico Open Source,
// the Calico Cloud join (installer manifest, then the join minted for the bearer of the token) upgrades it to
// Enterprise, and the mesh is then built, checked, pinged and torn down as with Enterprise.
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

/** `kubectl get` through the kubeconfig the sandbox wrote, as a user would read the cluster. */
async function kubectl(context: string, args: string[]): Promise<string> {
  const base = ['--kubeconfig', sb.kubeconfigPath, '--context', context];
  return (await run('kubectl', [...base, ...args], { timeout: 30_000 })).stdout;
}

beforeAll(async () => {
  // The reference spec with Calico Cloud instead of Enterprise (the sandbox points it at Calico's own manifests).
  const doc = parseYaml(await readFile(`${ROOT}infra/mesh.yaml`, 'utf8')) as { calico: Record<string, unknown> };
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
  it('/mesh up joins each cluster to Calico Cloud after Calico Open Source is up, then builds the mesh', async () => {
    const up = await sb.run('up');
    expect(up.ok, seen(up.anchor)).toBe(true);
    const thread = up.thread.map((m) => seen(m)).join('\n');
    for (const c of ['iad', 'pdx']) {
      expect(thread).toMatch(new RegExp(`${c}: .*Installation default \\(cloud, pool`));
      expect(thread).toMatch(
        new RegExp(
          `${c}: .*connected to Calico Cloud \\(installer complete, Installation upgraded to TigeraSecureEnterprise\\)`,
        ),
      );
    }
    expect(thread).toContain('Sending in-sync update for RemoteClusterConfiguration(iad)');
    expect(thread).toContain('Sending in-sync update for RemoteClusterConfiguration(pdx)');
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(2));
    // One join per cluster, and its token never reaches Slack or the bot's log.
    expect(sb.cloud.calicoCloud.joins()).toBe(2);
    expect(thread).not.toContain(sb.cloud.calicoCloud.token);
    expect(await readFile(`${DIR}/bot.log`, 'utf8')).not.toContain(sb.cloud.calicoCloud.token);
  }, 400_000);

  it.each(['iad', 'pdx'])(
    'kubectl shows %s connected: the Installer complete, the Installation Enterprise',
    async (c) => {
      const states = await kubectl(c, [
        'get',
        'installers.operator.calicocloud.io',
        '-n',
        'calico-cloud',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.status.state} {.status.clusterName}{"\\n"}{end}',
      ]);
      expect(states.trim()).toBe(`default=complete demo-${c}`);
      const variant = await kubectl(c, [
        'get',
        'installations.operator.tigera.io',
        'default',
        '-o',
        'jsonpath={.spec.variant}',
      ]);
      expect(variant).toBe('TigeraSecureEnterprise');
      const rcc = await kubectl(c, ['get', 'remoteclusterconfigurations.projectcalico.org', '-o', 'name']);
      expect(rcc).toMatch(/remoteclusterconfiguration\.projectcalico\.org\/(iad|pdx)/);
    },
    60_000,
  );

  it('/mesh status reads every part as ok', async () => {
    const status = await sb.run('status');
    expect(status.ok).toBe(true);
    const text = seen(status.anchor);
    expect(text).toMatch(/Mesh \*demo\* is healthy/);
    expect(text).not.toContain(':red_circle:');
  }, 120_000);

  it('/mesh ping pdx iad answers across regions', async () => {
    const ping = await sb.run('ping pdx iad');
    expect(ping.ok, seen(ping.anchor)).toBe(true);
    expect(seen(ping.anchor)).toContain('multi-cluster-rs-iad');
  }, 120_000);

  it('/mesh down --confirm demo deletes everything the mesh owns', async () => {
    const down = await sb.run('down --confirm demo', { timeoutMs: 300_000 });
    expect(down.ok, seen(down.anchor)).toBe(true);
    expect(seen(down.anchor)).toMatch(/is gone/);
    expect(await countMesh(sb)).toEqual(ZERO);
  }, 400_000);
});
