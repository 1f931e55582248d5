import { describe, expect, it } from 'vitest';
import { authorize } from '../../../commands/authorize.ts';
import type { MeshCommand } from '../../../src/mesh-command.ts';

const policy = { admins: ['UADMIN1', 'UADMIN2'], channels: ['CMESH', 'GPRIVATE'] };
const ADMIN = 'UADMIN1';
const MEMBER = 'UMEMBER';
const MESH = 'CMESH';
const OTHER = 'COTHER';

const commands: Record<string, MeshCommand> = {
  help: { kind: 'help' },
  status: { kind: 'status', wait: false },
  ping: { kind: 'ping', from: 'iad', target: { kind: 'all' } },
  'up --dry-run': { kind: 'up', dryRun: true },
  up: { kind: 'up', dryRun: false },
  scale: { kind: 'scale', cluster: 'iad', replicas: 2 },
  down: { kind: 'down', confirm: 'demo' },
  cancel: { kind: 'cancel' },
  watch: { kind: 'watch', action: 'show' },
  'watch off': { kind: 'watch', action: 'off' },
  'watch every 10m': { kind: 'watch', action: 'every', everyMs: 600_000 },
};

// [command, admin in mesh channel, member in mesh channel, admin elsewhere, member elsewhere]
type Row = [string, boolean, boolean, boolean, boolean];
const matrix: Row[] = [
  ['help', true, true, true, true],
  ['status', true, true, false, false],
  ['ping', true, true, false, false],
  ['up --dry-run', true, true, false, false],
  ['up', true, false, false, false],
  ['scale', true, false, false, false],
  ['watch', true, true, false, false],
  ['watch off', true, false, false, false],
  ['watch every 10m', true, false, false, false],
  ['down', true, false, false, false],
  ['cancel', true, false, false, false],
];

describe('authorize: the matrix', () => {
  it.each(matrix)('%s: admin here %s, member here %s, admin elsewhere %s, member elsewhere %s', (name, ...want) => {
    const cases: Array<[string, string]> = [
      [ADMIN, MESH],
      [MEMBER, MESH],
      [ADMIN, OTHER],
      [MEMBER, OTHER],
    ];
    const got = cases.map(
      ([userId, channelId]) => authorize({ userId, channelId, command: commands[name] }, policy).allowed,
    );
    expect(got).toEqual(want);
  });

  it('allows a private channel on the list', () => {
    expect(authorize({ userId: MEMBER, channelId: 'GPRIVATE', command: commands.status }, policy)).toEqual({
      allowed: true,
    });
  });
});

describe('authorize: reasons say why and who can', () => {
  it.each<[string, string, string, RegExp]>([
    ['down', MEMBER, MESH, /^only mesh admins may run `\/mesh down`; admins: <@UADMIN1>, <@UADMIN2>$/],
    ['scale', MEMBER, MESH, /only mesh admins may run `\/mesh scale`/],
    ['cancel', MEMBER, MESH, /only mesh admins may run `\/mesh cancel`/],
    ['status', MEMBER, OTHER, /^`\/mesh status` runs only in <#CMESH>, <#GPRIVATE>; this channel is not one of them/],
    ['down', ADMIN, OTHER, /`\/mesh down --confirm demo` runs only in <#CMESH>, <#GPRIVATE>/],
  ])('%s by %s in %s', (name, userId, channelId, reason) => {
    const d = authorize({ userId, channelId, command: commands[name] }, policy);
    expect(d.allowed).toBe(false);
    if (!d.allowed) expect(d.reason).toMatch(reason);
  });

  it('says so when no admins are configured', () => {
    const d = authorize({ userId: MEMBER, channelId: MESH, command: commands.up }, { admins: [], channels: [MESH] });
    expect(d).toEqual({
      allowed: false,
      reason: 'only mesh admins may run `/mesh up`; admins: none configured (MESH_ADMINS)',
    });
  });
});
