// kubectl's exec credential plugin for the sandbox's clusters: mints an EKS token as aws-iam-authenticator's
// client does (a presigned STS GetCallerIdentity URL for https://sts.<region>.amazonaws.com/ that signs
// x-k8s-aws-id), with the sandbox's own SigV4 rather than the product's minting code, so that kubectl is a
// second, independent client of the stand-ins' token check.
// Usage (from the kubeconfig the sandbox writes): node sandbox/kubectl-token.ts <eks-cluster-name> <region>
import { presignUrl, toAmzDate } from './aws/sigv4.ts';

const [clusterName, region] = process.argv.slice(2);
const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
if (!clusterName || !region || !accessKeyId || !secretAccessKey) {
  process.stderr.write(
    'usage: AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... kubectl-token.ts <eks-cluster-name> <region>\n',
  );
  process.exit(2);
}
const now = Date.now();
const url = presignUrl({
  method: 'GET',
  url: `https://sts.${region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15`,
  headers: { 'x-k8s-aws-id': clusterName },
  accessKeyId,
  secretAccessKey,
  sessionToken: process.env.AWS_SESSION_TOKEN,
  region,
  service: 'sts',
  amzDate: toAmzDate(now),
  expiresSeconds: 60,
});
const issuedAt = Math.floor(now / 1000) * 1000;
process.stdout.write(
  JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    kind: 'ExecCredential',
    status: {
      token: `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`,
      expirationTimestamp: new Date(issuedAt + 14 * 60_000).toISOString(),
    },
  }),
);
