// The sandbox's network model: cluster DNS, the path a packet takes between pods, and commands run in pods.
export { explainPing, NetworkExec } from './exec.ts';
