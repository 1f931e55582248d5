// Reading request bodies and writing JSON responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './status.ts';

/** Real API servers accept up to 3 MiB objects; the limit leaves room for client-side apply's annotation. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBodyBytes(req)).toString('utf8');
}

export async function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** JSON, or YAML when the content type says so (apply patches may be either). */
export function parseObject(text: string, allowYaml: boolean): unknown {
  const trimmed = text.trim();
  if (!trimmed) throw badRequest('the server rejected our request due to an error in our request: empty body');
  try {
    return JSON.parse(trimmed);
  } catch (jsonError) {
    if (!allowYaml)
      throw badRequest(
        `the server rejected our request due to an error in our request: ${(jsonError as Error).message}`,
      );
    try {
      return parseYaml(trimmed, { maxAliasCount: 100 });
    } catch (yamlError) {
      throw badRequest(`error decoding YAML: ${(yamlError as Error).message}`);
    }
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
