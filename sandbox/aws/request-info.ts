// What an incoming AWS request is: service and region from the SigV4 credential scope (the Authorization
// header, or X-Amz-Credential of a presigned URL), and the operation (query protocols: the Action
// parameter; EKS: method + path).
import { matchEksRoute } from './eks-routes.ts';

export interface AwsRequest {
  method: string;
  /** Path with query, as received. */
  url: string;
  pathname: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  service: string;
  region: string;
  accessKeyId: string;
  /** e.g. 'CreateVpc', 'CreateCluster'; '' when unknown. */
  action: string;
  /** Form parameters of a query-protocol POST (EC2, IAM, STS). */
  form?: URLSearchParams;
  presigned: boolean;
}

const SCOPE = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

export function describeRequest(req: {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}): AwsRequest | undefined {
  const parsed = new URL(req.url, 'http://gateway.invalid');
  const query = parsed.searchParams;
  const auth = header(req.headers, 'authorization');
  let scope = auth ? SCOPE.exec(auth) : null;
  let presigned = false;
  if (!scope && query.get('X-Amz-Credential')) {
    scope = SCOPE.exec(`Credential=${query.get('X-Amz-Credential')}`);
    presigned = true;
  }
  if (!scope) return undefined;
  const [, accessKeyId, , region, service] = scope;
  let form: URLSearchParams | undefined;
  const contentType = header(req.headers, 'content-type') ?? '';
  if (req.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) {
    form = new URLSearchParams(req.body.toString('utf8'));
  }
  let action = query.get('Action') ?? form?.get('Action') ?? '';
  if (service === 'eks') action = matchEksRoute(req.method, parsed.pathname)?.operation ?? '';
  return {
    method: req.method,
    url: req.url,
    pathname: parsed.pathname,
    query,
    headers: req.headers,
    body: req.body,
    service,
    region,
    accessKeyId,
    action,
    form,
    presigned,
  };
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
