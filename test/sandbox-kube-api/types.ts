// Types the tests share with the sandbox contracts.
export type { ClusterPlacement, ExecHandler, InstallControllers } from '../../sandbox/contracts.ts';
export type { KubeObject } from '../../sandbox/kube/store.ts';
