// The sandbox's network model: cluster DNS, the path a packet takes between pods, and commands run in pods.

export { clusterDnsIp, type Resolution, resolvConf, resolveName } from './dns.ts';
export { explainPing, NetworkExec, shellWords } from './exec.ts';
export { rttRange } from './latency.ts';
export { explainPath, locateIp, type PathEnd, type PathVerdict, sameCluster } from './path.ts';
