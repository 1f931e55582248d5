// GET /metrics for the web role's HTTP server (a Bolt custom route): the registry in Prometheus text format.
import type { ServerResponse } from 'node:http';
import { errorMessage } from '../errors.ts';
import { metricsText } from './registry.ts';

export async function serveMetrics(res: ServerResponse): Promise<void> {
  try {
    const m = await metricsText();
    res.writeHead(200, { 'content-type': m.contentType }).end(m.body);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${errorMessage(err)}`);
  }
}
