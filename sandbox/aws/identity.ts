// Who the sandbox's AWS caller is. moto runs every request as account 123456789012; the gateway answers
// GetCallerIdentity and writes AccessDenied messages as this one IAM user, so all of them agree.
export const SANDBOX_ACCOUNT_ID = '123456789012';
export const SANDBOX_USER_NAME = 'meshops';
export const SANDBOX_USER_ARN = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:user/${SANDBOX_USER_NAME}`;
export const SANDBOX_USER_ID = 'AIDASANDBOXMESHOPS0001';
/** The credentials the sandbox hands the product (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). */
export const SANDBOX_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/**
 * Who the account's caller is right now: the IAM user above, or, after `set`, another principal (a worker
 * redeployed under another role). The gateway answers GetCallerIdentity (plain and presigned) as this one, so the
 * product, EKS's creator record and the EKS token check all see the same principal.
 */
export interface Caller {
  arn(): string;
  set(arn: string): void;
}

export function createCaller(): Caller {
  let current = SANDBOX_USER_ARN;
  return {
    arn: () => current,
    set(arn) {
      current = arn;
    },
  };
}

/** What EKS keeps of a principal: an assumed-role session is its IAM role (arn:aws:iam::<acct>:role/<name>). */
export function iamPrincipalOf(arn: string): string {
  const m = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  return m ? `arn:aws:iam::${m[1]}:role/${m[2]}` : arn;
}

/**
 * Whether an IAM principal ARN (an access entry's, a cluster creator's) is the caller: an assumed-role session
 * names only its role's name, and EKS matches it to the role wherever the role's path puts it (role names are
 * unique in an account, paths are not part of that uniqueness).
 */
export function isPrincipalOf(principalArn: string, callerArn: string): boolean {
  const m = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(callerArn);
  if (!m) return principalArn === callerArn;
  const r = /^arn:aws:iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/.exec(principalArn);
  return !!r && r[1] === m[1] && r[2] === m[2];
}

/** A GetCallerIdentity answer (XML or JSON) rewritten to name `arn` instead of the sandbox user. */
export function answerAs<T extends { status: number; body: string | Buffer }>(reply: T, arn: string): T {
  if (reply.status !== 200 || arn === SANDBOX_USER_ARN) return reply;
  const body = (typeof reply.body === 'string' ? reply.body : reply.body.toString('utf8')).replaceAll(
    SANDBOX_USER_ARN,
    arn,
  );
  return { ...reply, body };
}
