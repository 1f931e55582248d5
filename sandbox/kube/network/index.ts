// The sandbox's network model: cluster DNS, the path a packet takes between pods, and commands run in pods.
export { explainPath, locateIp, sameCluster, type PathEnd, type PathVerdict } from './path.ts';
export { resolveName, resolvConf, clusterDnsIp, type Resolution } from './dns.ts';
export { NetworkExec, shellWords, explainPing } from './exec.ts';
export { rttRange } from './latency.ts';
