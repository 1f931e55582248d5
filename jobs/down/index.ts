// `/mesh down`: first a confirmation (what will be deleted and what it costs now, a button only admins can
// press, valid 5 minutes); then the teardown, planned from what is found by tags and labels, so that it works
// after a failed up, a changed spec or a lost queue, and a second run finishes what is left.
import {
  type CostBreakdown,
  costOfObserved,
  formatCost,
  loadPrices,
  type ObservedRegion,
  type PriceTable,
} from '../../src/cost.ts';
import type { Deps } from '../../src/deps.ts';
import { findBilled } from '../../src/mesh/aws/billed.ts';
import { findMesh, isEmpty, type MeshInventory, presence } from '../../src/mesh/aws/inventory.ts';
import { describeLoadBalancer } from '../../src/mesh/aws/load-balancers.ts';
import type { JobResult } from '../../src/queue/job-types.ts';
import type { JobContext } from '../../src/queue/worker.ts';
import { downExpiredOutcome, postDownConfirmation } from '../../src/slack/down-confirm.ts';
import { codeBlock, utcTime } from '../../src/slack/format.ts';
import { sequential } from '../../src/steps/step.ts';
import { runPlanJob, timingTable } from '../run-plan.ts';
import { planFromInventory } from './aws.ts';
import { planDownKube } from './kube.ts';

export function renderInventory(inv: MeshInventory): string {
  const lines: string[] = [];
  for (const r of inv.regions) {
    const parts: string[] = [];
    const add = (what: string, ids: string[]) => ids.length && parts.push(`${ids.length} ${what} (${ids.join(', ')})`);
    add(
      'EKS cluster(s)',
      r.clusters.map((c) => `${c.name}${c.nodegroups.length ? ` + node groups ${c.nodegroups.join(', ')}` : ''}`),
    );
    add('load balancer(s) left by Kubernetes Services', r.loadBalancers.map(describeLoadBalancer));
    add(
      'target group(s) left by Kubernetes Services',
      r.targetGroups.map((t) => `${t.name} (${t.cluster})`),
    );
    add('NAT gateway(s)', r.natGateways);
    add('Elastic IP(s)', r.addresses);
    add(
      'internet gateway(s)',
      r.internetGateways.map((g) => g.InternetGatewayId!),
    );
    add('subnet(s)', r.subnets);
    add(
      'route table(s)',
      r.routeTables.map((t) => t.RouteTableId!),
    );
    add('security group(s)', r.securityGroups);
    add(
      'VPC endpoint(s) meshops did not make',
      r.vpcEndpoints.map((e) => `${e.id} ${e.service}`),
    );
    add('VPC(s)', r.vpcs);
    if (parts.length) lines.push(`• ${r.region}: ${parts.join('; ')}`);
  }
  if (inv.peerings.length)
    lines.push(`• peering: ${inv.peerings.map((p) => `${p.id} (${p.regions.join(' ↔ ')})`).join(', ')}`);
  if (inv.roles.length) lines.push(`• IAM roles: ${inv.roles.join(', ')}`);
  return lines.join('\n');
}

/**
 * What the mesh costs per hour now, as the confirmation shows it: what meshops made (`billed`) plus the load
 * balancers Services left in its VPCs (the inventory found them; billed by the hour until down deletes them).
 */
export function costBeforeDown(billed: ObservedRegion[], inv: MeshInventory, prices: PriceTable): CostBreakdown {
  const withLoadBalancers = billed.map((b) => {
    const found = inv.regions.find((r) => r.region === b.region)?.loadBalancers ?? [];
    const byType: Record<string, number> = {};
    for (const lb of found) byType[lb.type] = (byType[lb.type] ?? 0) + 1;
    return { ...b, loadBalancers: byType };
  });
  return costOfObserved(withLoadBalancers, prices);
}

/** Said after the figure when it holds load balancers: only their hourly price is in it. */
export function loadBalancerCostNote(cost: CostBreakdown): string | undefined {
  const lbs = cost.lines.filter((l) => l.item.endsWith('load balancer'));
  if (!lbs.length) return undefined;
  const sum = lbs.reduce((s, l) => s + l.hourly, 0);
  const count = lbs.reduce((s, l) => s + l.quantity, 0);
  return `Of that, $${sum.toFixed(4)}/hour is ${count} load balancer(s) left by Kubernetes Services, at AWS's hourly price; their capacity units (LCU/NLCU) and data charges depend on traffic and are not included.`;
}

export async function downPreviewJob(deps: Deps, ctx: JobContext): Promise<JobResult> {
  ctx.reporter.note('finding everything the mesh owns, by its tags');
  const [inv, billed, prices] = await Promise.all([findMesh(deps), findBilled(deps), loadPrices()]);
  if (isEmpty(inv)) {
    const none = presence(deps.spec.name, inv).summary;
    return { ok: true, summary: `Nothing to delete: nothing tagged meshops:mesh=${deps.spec.name} (${none}).` };
  }
  const cost = costBeforeDown(billed, inv, prices);
  const hourlyCost = `$${cost.totalHourly.toFixed(2)}`;
  const posted = await postDownConfirmation(ctx.slack, ctx.data.channelId, {
    mesh: deps.spec.name,
    inventory: renderInventory(inv),
    hourlyCost,
    costNote: loadBalancerCostNote(cost),
    now: Date.now(),
    ttlMs: deps.confirmTtlMs,
  });
  // At expiry the message says so by itself, keeping the inventory; a click before then wins instead.
  await ctx.timers.expireConfirmation({
    kind: 'down',
    nonce: posted.nonce,
    channel: ctx.data.channelId,
    ts: posted.ts,
    exp: posted.exp,
    outcome: downExpiredOutcome(posted.exp),
    kept: posted.kept,
  });
  return {
    ok: true,
    summary: `Confirmation posted below: an admin has until ${utcTime(posted.exp)} to press *Delete ${deps.spec.name}* (or run \`/mesh down --confirm ${deps.spec.name}\`). Nothing was deleted yet.`,
  };
}

export async function downJob(deps: Deps, ctx: JobContext): Promise<JobResult> {
  ctx.reporter.note('finding everything the mesh owns, by its tags and labels');
  const [kubePlan, inv] = await Promise.all([planDownKube(deps), findMesh(deps)]);
  if (isEmpty(inv) && kubePlan.kind !== 'leaf' && kubePlan.children.length === 0) {
    return { ok: true, summary: `Nothing to delete: no resource of mesh ${deps.spec.name} exists.` };
  }
  const plan = sequential('down', `Tear down mesh ${deps.spec.name}`, [kubePlan, planFromInventory(deps, inv)]);
  const run = await runPlanJob(ctx, deps.clock, plan, {
    heading: `Deleting mesh *${deps.spec.name}*: Kubernetes objects first, then AWS in dependency order.`,
    extra: renderInventory(inv),
  });
  const left = await findMesh(deps);
  if (!isEmpty(left)) {
    return {
      ok: false,
      summary: `Mesh *${deps.spec.name}* is partly deleted; still there:\n${renderInventory(left)}\nRun \`/mesh down\` again to finish; it deletes only what is left.`,
      details: [`*Time per step*\n${codeBlock(timingTable(run.report!))}`],
    };
  }
  const billedAfter = formatCost(costOfObserved(await findBilled(deps), await loadPrices()));
  return {
    ok: true,
    summary: `Mesh *${deps.spec.name}* is gone: nothing tagged meshops:mesh=${deps.spec.name} is left in any of its regions.`,
    details: [
      `*Deleted*\n${renderInventory(inv)}`,
      `*Time per step*\n${codeBlock(timingTable(run.report!))}`,
      `*Still billed by the hour*\n${codeBlock(billedAfter)}`,
    ],
  };
}
