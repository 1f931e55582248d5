import { describe, expect, it } from 'vitest';
import { fromDockerHub } from '../../../sandbox/kube/controllers/kubelet.ts';

describe('which images come from Docker Hub (the sandbox rate-limits them when a node is switched so)', () => {
  it.each([
    ['nginx:1.27', true],
    ['nicolaka/netshoot:v0.13', true],
    ['docker.io/library/nginx:1.27', true],
    ['public.ecr.aws/nginx/nginx:1.27', false],
    ['ghcr.io/nicolaka/netshoot:v0.13', false],
    ['registry.k8s.io/pause:3.10', false],
    ['quay.io/tigera/cnx-node:v3.23.1', false],
    ['localhost:5000/x', false],
  ])('%s: %s', (image, hub) => {
    expect(fromDockerHub(image)).toBe(hub);
  });
});
