// Mints an EKS bearer token as the product does: a SigV4-presigned STS GetCallerIdentity URL with the
// signed header x-k8s-aws-id, wrapped as 'k8s-aws-v1.' + base64url (no padding).
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export async function mintEksToken(
  gatewayUrl: string,
  clusterName: string,
  opts: { signingDate?: Date; secretAccessKey?: string } = {},
): Promise<string> {
  const url = new URL(gatewayUrl);
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'testing', secretAccessKey: opts.secretAccessKey ?? 'testing' },
    region: 'us-east-1',
    service: 'sts',
    sha256: Sha256,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: url.host, 'x-k8s-aws-id': clusterName },
    },
    { expiresIn: 60, signingDate: opts.signingDate },
  );
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  const presigned = `${url.protocol}//${url.host}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(presigned).toString('base64url')}`;
}
