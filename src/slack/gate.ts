// The one door every request goes through: a slash command and a button click are both turned into the command
// they ask for, decided by the same policy (channel, role, workspace) and audited in the same log line.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { MeshCommand } from '../mesh-command.ts';

export type Decision = { allowed: true } | { allowed: false; reason: string };

/** The command layer's policy (commands/authorize.ts): which channel, which role, whose job. */
export type AuthorizeFn = (
  req: { userId: string; channelId: string; command: MeshCommand; job?: { userId: string; mutating: boolean } },
  policy: { admins: readonly string[]; channels: readonly string[] },
) => Decision;

interface Home {
  teamId: string;
  enterpriseId?: string;
}

/** Why a request from another workspace or org is refused, or undefined when it comes from the app's own. */
export function foreignOrigin(
  req: { teamIds?: readonly string[]; enterpriseId?: string },
  home: Home,
): string | undefined {
  const other = (req.teamIds ?? []).find((t) => t !== home.teamId);
  const otherOrg = req.enterpriseId !== undefined && req.enterpriseId !== home.enterpriseId;
  if (!other && !otherOrg) return undefined;
  return `/mesh takes requests only from this workspace's own members; requests from another workspace or organization (${other ?? req.enterpriseId}, e.g. through Slack Connect) are refused`;
}

export interface Requester {
  userId: string;
  channelId: string;
  teamIds: string[];
  enterpriseId?: string;
  via: 'slash command' | 'button';
}

export interface Gate {
  /** Decides and audits one request; `shown` is what the audit line records (`/mesh down`, `button: Delete`). */
  admit(
    req: Requester,
    command: MeshCommand,
    shown: string,
    job?: { userId: string; mutating: boolean },
  ): Promise<Decision>;
  /** Audits input that did not parse; answers the refusal when it comes from another workspace (else undefined). */
  refuseBadInput(req: Requester, shown: string): Promise<string | undefined>;
  /** The workspace the app belongs to, learned once from auth.test. */
  home(): Promise<Home | undefined>;
}

export function makeGate(opts: {
  admins: string[];
  channels: string[];
  authorize: AuthorizeFn;
  client: WebClient;
  log: Logger;
}): Gate {
  let known: Promise<Home | undefined> | undefined;
  const home = () =>
    (known ??= opts.client.auth.test().then(
      (r) => ({ teamId: String(r.team_id), ...(r.enterprise_id ? { enterpriseId: String(r.enterprise_id) } : {}) }),
      (err: unknown) => {
        // Asked again with the next request; until then nothing is allowed (see policy()).
        opts.log.warn({ err }, 'auth.test failed: the workspace of requests cannot be checked');
        known = undefined;
        return undefined;
      },
    ));
  const policy = { admins: opts.admins, channels: opts.channels };
  const audit = (req: Requester, shown: string, d: Decision) =>
    opts.log.info(
      {
        audit: true,
        via: req.via,
        userId: req.userId,
        teamIds: req.teamIds,
        enterpriseId: req.enterpriseId,
        channelId: req.channelId,
        command: shown,
        allowed: d.allowed,
        reason: d.allowed ? undefined : d.reason,
      },
      d.allowed ? 'request allowed' : 'request refused',
    );
  const unverified: Decision = {
    allowed: false,
    reason:
      'the bot cannot check which workspace this request comes from right now (Slack did not answer auth.test); try again in a minute',
  };
  return {
    home,
    async admit(req, command, shown, job) {
      const h = await home();
      const foreign = h ? foreignOrigin(req, h) : unverified.reason;
      const d: Decision = foreign
        ? { allowed: false, reason: foreign }
        : opts.authorize({ ...req, command, job }, policy);
      audit(req, shown, d);
      return d;
    },
    async refuseBadInput(req, shown) {
      const h = await home();
      const foreign = h ? foreignOrigin(req, h) : unverified.reason;
      audit(req, shown, { allowed: false, reason: foreign ?? 'bad input' });
      return foreign;
    },
  };
}
