// Turns a URL and method into what the API server's RequestInfoResolver calls a RequestInfo.

export interface ResourceRequest {
  kind: 'resource';
  /** get, list, watch, create, update, patch, delete, deletecollection */
  verb: string;
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** pods/proxy: the path after `proxy/`. */
  proxyPath?: string;
}

export interface NonResourceRequestInfo {
  kind: 'nonresource';
  verb: string;
  path: string;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function resolveRequest(method: string, url: URL): ResourceRequest | NonResourceRequestInfo {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const parts = path
    .split('/')
    .filter((p) => p.length > 0)
    .map(decodeURIComponent);
  const lowerMethod = method.toLowerCase();
  const nonResource = (): NonResourceRequestInfo => ({
    kind: 'nonresource',
    verb: lowerMethod === 'head' ? 'get' : lowerMethod,
    path,
  });

  let rest: string[];
  let group: string;
  let version: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return nonResource();

  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  // namespaces/<ns>/<resource>... is namespaced; namespaces/<name>[/status|/finalize] is the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = rest[0];
  if (!resource) return nonResource();
  const name = rest[1];
  const subresource = rest[2];
  // pods/<name>:<port>/proxy/<path...>: the rest is the path on the pod.
  const proxyPath = subresource === 'proxy' ? rest.slice(3).join('/') : undefined;
  if (rest.length > 3 && proxyPath === undefined) return nonResource();

  let verb: string;
  const watching = watchPath || url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
  switch (lowerMethod) {
    case 'get':
    case 'head':
      verb = name ? (watching ? 'watch' : 'get') : watching ? 'watch' : 'list';
      break;
    case 'post':
      verb = 'create';
      break;
    case 'put':
      verb = 'update';
      break;
    case 'patch':
      verb = 'patch';
      break;
    case 'delete':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = lowerMethod;
  }
  // Connect-style subresources are authorized by the method they use: exec is "create" (kubectl uses GET for WebSockets).
  if (subresource === 'exec' || subresource === 'attach' || subresource === 'portforward') verb = 'create';
  const out: ResourceRequest = { kind: 'resource', verb, group, version, resource };
  if (namespace !== undefined) out.namespace = namespace;
  if (name !== undefined) out.name = name;
  if (subresource !== undefined) out.subresource = subresource;
  if (proxyPath !== undefined) out.proxyPath = proxyPath;
  return out;
}
