import { describe, expect, it } from 'vitest';
import { planUp } from '../../../jobs/up/plan.ts';
import { allSteps, checkOrder } from '../../../src/steps/step.ts';
import { testDeps, testSpec } from '../kube/fake-kube.ts';

// The plan is only built here, never run: clients that are never called.
const unused = () => ({}) as never;
const deps = () => ({
  ...testDeps(testSpec()),
  aws: { ec2: unused, eks: unused, elbv2: unused, elb: unused, iam: unused, sts: unused },
});

function afterOf(id: string): string[] {
  const plan = planUp(deps());
  const step = allSteps(plan).find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id}`);
  return step.after ?? [];
}

describe('/mesh up: federation by its own dependencies', () => {
  it('is a plan without cycles', () => {
    expect(() => checkOrder(planUp(deps()))).not.toThrow();
  });

  it("makes a source's identity once its operator is applied and its node group is up, not once its Calico is ready", () => {
    // The node group: the operator makes calico-system only on a joined node, and a failed group must not leave
    // the identity waiting for it.
    expect(afterOf('mesh/iad/identity').sort()).toEqual(['calico/iad/install', 'cluster/iad/group']);
  });

  it("writes a pair once its destination's Calico is ready and its source's identity exists, whatever the source's Calico", () => {
    expect(afterOf('mesh/iad-to-pdx').sort()).toEqual(['calico/pdx/ready', 'mesh/iad/identity']);
    expect(afterOf('mesh/pdx-to-iad').sort()).toEqual(['calico/iad/ready', 'mesh/pdx/identity']);
  });

  it('waits for a destination to be in sync once the pairs into it are written, not every pair', () => {
    expect(afterOf('mesh/pdx/sync')).toEqual(['mesh/iad-to-pdx']);
    expect(afterOf('mesh/iad/sync')).toEqual(['mesh/pdx-to-iad']);
  });
});
