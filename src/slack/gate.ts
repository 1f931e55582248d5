// The one door every request goes through: a slash command and a button click are both turned into the command
// they ask for, decided by the same policy (channel, role, workspace) and audited in the same log line.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { authorize, foreignOrigin, type AccessPolicy, type AccessRequest, type Decision } from '../../commands/authorize.ts';
import type { MeshCommand } from '../../commands/types.ts';

export interface Requester {
  userId: string;
  channelId: string;
  teamIds: string[];
  enterpriseId?: string;
  via: 'slash command' | 'button';
}

export interface Gate {
  /** Decides and audits one request; `shown` is what the audit line records (`/mesh down`, `button: Delete`). */
  admit(req: Requester, command: MeshCommand, shown: string, job?: AccessRequest['job']): Promise<Decision>;
  /** Audits input that did not parse; answers the refusal when it comes from another workspace (else undefined). */
  refuseBadInput(req: Requester, shown: string): Promise<string | undefined>;
  /** The workspace the app belongs to, learned once from auth.test. */
  home(): Promise<{ teamId: string; enterpriseId?: string } | undefined>;
}

export function makeGate(opts: { admins: string[]; channels: string[]; client: WebClient; log: Logger }): Gate {
  let known: Promise<{ teamId: string; enterpriseId?: string } | undefined> | undefined;
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
  const policy = async (): Promise<AccessPolicy | undefined> => {
    const h = await home();
    return h ? { admins: opts.admins, channels: opts.channels, home: h } : undefined;
  };
  const audit = (req: Requester, shown: string, d: Decision) =>
    opts.log.info(
      { audit: true, via: req.via, userId: req.userId, teamIds: req.teamIds, enterpriseId: req.enterpriseId, channelId: req.channelId, command: shown, allowed: d.allowed, reason: d.allowed ? undefined : d.reason },
      d.allowed ? 'request allowed' : 'request refused',
    );
  const unverified: Decision = { allowed: false, reason: 'the bot cannot check which workspace this request comes from right now (Slack did not answer auth.test); try again in a minute' };
  return {
    home,
    async admit(req, command, shown, job) {
      const p = await policy();
      const d = p ? authorize({ ...req, command, job }, p) : unverified;
      audit(req, shown, d);
      return d;
    },
    async refuseBadInput(req, shown) {
      const p = await policy();
      const foreign = p ? foreignOrigin(req, p) : unverified.reason;
      audit(req, shown, { allowed: false, reason: foreign ?? 'bad input' });
      return foreign;
    },
  };
}
