// compose.yaml and .env.example: the one-host way to run meshops. The example's values pass meshops's own
// configuration checks once the Calico files exist, and it names every variable meshops reads.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/env.ts';

const ROOT = join(import.meta.dirname, '../../..');
const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as {
  services: Record<
    string,
    {
      command?: string[];
      env_file?: string;
      environment?: Record<string, string>;
      read_only?: boolean;
      volumes?: string[];
    }
  >;
};
const exampleText = readFileSync(join(ROOT, '.env.example'), 'utf8');
const example = Object.fromEntries(
  exampleText
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

describe('compose.yaml', () => {
  it('runs Redis with appendonly yes on a named volume', () => {
    const cmd = compose.services.redis.command!;
    expect(cmd[cmd.indexOf('--appendonly') + 1]).toBe('yes');
    expect(compose.services.redis.volumes).toContain('redis-data:/data');
  });

  it('runs the bot read-only with its environment from .env and Redis by service name', () => {
    expect(compose.services.bot.env_file).toBe('.env');
    expect(compose.services.bot.read_only).toBe(true);
    expect(compose.services.bot.environment?.REDIS_URL).toBe('redis://redis:6379');
  });

  it('.env.example (or compose) names every variable meshops reads', () => {
    const source = readFileSync(join(ROOT, 'src/config/env.ts'), 'utf8');
    const read = [...source.matchAll(/\b(?:get|number|list|readFile)\(\s*'([A-Z_]+)'/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(10);
    const named = new Set([...Object.keys(example), ...Object.keys(compose.services.bot.environment ?? {})]);
    expect(read.filter((v) => !named.has(v))).toEqual([]);
  });

  it("the example's values pass meshops's configuration checks", () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-env-'));
    try {
      const license = join(dir, 'calico-license.yaml');
      const pull = join(dir, 'tigera-pull-secret.json');
      writeFileSync(license, 'apiVersion: projectcalico.org/v3\nkind: LicenseKey\nmetadata: {name: default}\n');
      writeFileSync(pull, '{"auths":{}}');
      const env = {
        ...example,
        ...compose.services.bot.environment,
        MESH_SPEC: join(ROOT, 'infra/mesh.yaml'),
        CALICO_LICENSE_FILE: license,
        CALICO_PULL_SECRET_FILE: pull,
      };
      const config = loadConfig(env, { cwd: ROOT });
      expect(config.role).toBe('all');
      expect(config.slack.mode).toBe('socket');
      expect(config.redisUrl).toBe('redis://redis:6379');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
