// /mesh cancel [job-id]: stop a queued or running job at its next safe point (the running one when no id).
import { splitArgs, usageError } from './args.ts';
import type { Subcommand } from './types.ts';

const USAGE = '/mesh cancel [JOB-ID]';
// What the job's message shows (12) or BullMQ's id (job-12); BullMQ ids never contain ':'.
const JOB_ID = /^[\w.-]{1,100}$/;

export const cancel: Subcommand<'cancel'> = {
  name: 'cancel',
  usage: USAGE,
  summary: 'stop the running job (or the one with this id) at its next safe point',
  details: () =>
    'Stops a queued or running job between steps, so nothing is left half-made; what was made stays and ' +
    '`/mesh up` or `/mesh down` continue from there. Without an id it cancels the running job.',
  example: () => '/mesh cancel 42',
  parse(args) {
    const split = splitArgs('cancel', args, {});
    if (!split.ok) return usageError(split.error, USAGE, '/mesh cancel 42');
    const [idWord, ...extra] = split.positional;
    if (extra.length > 0)
      return usageError(
        `\`/mesh cancel\` takes at most one job id; \`${extra.join(' ')}\` is extra`,
        USAGE,
        '/mesh cancel 42',
      );
    if (idWord === undefined) return { ok: true, command: { kind: 'cancel' } };
    const jobId = idWord.replace(/^#/, '');
    if (!JOB_ID.test(jobId)) {
      return usageError(
        `\`${idWord}\` is not a job id; job ids are the number the job's message shows, like 42`,
        USAGE,
        '/mesh cancel 42',
      );
    }
    return { ok: true, command: { kind: 'cancel', jobId } };
  },
  describe: (cmd) => (cmd.jobId ? `/mesh cancel ${cmd.jobId}` : '/mesh cancel'),
};
