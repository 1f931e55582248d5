// Calico's manifests over HTTP, laid out like raw.githubusercontent.com/projectcalico/calico/<version>/manifests/
// so the spec's manifestBaseUrl can point at the gateway:
//   /manifests/calico/<version>/manifests/<file>            <- sandbox/calico/<version>/<file>
//   /manifests/calico-enterprise/<version>/manifests/<file> <- sandbox/calico/enterprise/<version>/manifests/<file>
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HttpReply } from './aws-errors.ts';

const SAFE = /^[A-Za-z0-9._-]+$/;

export function isManifestPath(pathname: string): boolean {
  return pathname.startsWith('/manifests/');
}

export async function serveManifest(calicoDir: string, method: string, pathname: string): Promise<HttpReply> {
  const notFound: HttpReply = {
    status: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: '404: Not Found',
  };
  if (method !== 'GET' && method !== 'HEAD')
    return { status: 405, headers: { 'content-type': 'text/plain' }, body: 'Method Not Allowed' };
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  // ['manifests', 'calico' | 'calico-enterprise', version, 'manifests', file]
  if (parts.length !== 5 || parts[3] !== 'manifests' || !parts.every((p) => SAFE.test(p) && p !== '.' && p !== '..'))
    return notFound;
  const [, product, version, , file] = parts;
  const candidates =
    product === 'calico'
      ? [join(calicoDir, version, file), join(calicoDir, version, 'manifests', file)]
      : product === 'calico-enterprise'
        ? [join(calicoDir, 'enterprise', version, 'manifests', file), join(calicoDir, 'enterprise', version, file)]
        : [];
  for (const path of candidates) {
    try {
      const body = await readFile(path);
      return {
        status: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: method === 'HEAD' ? Buffer.alloc(0) : body,
      };
    } catch {
      // Try the next layout.
    }
  }
  return notFound;
}
