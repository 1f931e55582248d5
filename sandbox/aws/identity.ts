// Who the sandbox's AWS caller is. moto runs every request as account 123456789012; the gateway answers
// GetCallerIdentity and writes AccessDenied messages as this one IAM user, so all of them agree.
export const SANDBOX_ACCOUNT_ID = '123456789012';
export const SANDBOX_USER_NAME = 'meshops';
export const SANDBOX_USER_ARN = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:user/${SANDBOX_USER_NAME}`;
export const SANDBOX_USER_ID = 'AIDASANDBOXMESHOPS0001';
/** The credentials the sandbox hands the product (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). */
export const SANDBOX_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;
