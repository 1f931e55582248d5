// kubectl's exec credential plugin for the sandbox's clusters: mints an EKS token exactly as meshops does
// (presigned STS GetCallerIdentity), so kubectl authenticates to the stand-ins as the product does.
// Usage (from the kubeconfig the sandbox writes): node sandbox/kubectl-token.ts <eks-cluster-name> <region>
import { mintEksToken } from '../src/kube/eks-token.ts';

const [clusterName, region] = process.argv.slice(2);
if (!clusterName || !region) {
  process.stderr.write('usage: kubectl-token.ts <eks-cluster-name> <region>\n');
  process.exit(2);
}
const minted = await mintEksToken({ clusterName, region });
process.stdout.write(
  JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    kind: 'ExecCredential',
    status: { token: minted.token, expirationTimestamp: new Date(minted.expiresAt - 60_000).toISOString() },
  }),
);
