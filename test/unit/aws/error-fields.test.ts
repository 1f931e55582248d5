// AWS errors sorted from the SDK's own fields, in one place.
import { EKSServiceException } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import { awsErrorCode, awsErrorFacts, classifyAwsError, isAwsError } from '../../../src/aws/errors.ts';
import { PermanentError } from '../../../src/errors.ts';
import { awsError } from './fake-aws.ts';

describe('AWS error classification', () => {
  it.each([
    ['AuthFailure', 'permanent', /no valid AWS credentials/],
    ['UnauthorizedOperation', 'permanent', /^grant ec2:ReleaseAddress/],
    ['VpcLimitExceeded', 'permanent', /VPCs per Region/],
    ['InvalidParameterValue', 'permanent', /check the mesh spec/],
    ['UnsupportedAvailabilityZoneException', 'permanent', /availabilityZoneIds/],
    ['DependencyViolation', 'transient', undefined],
    ['InvalidVpcID.NotFound', 'transient', undefined],
    ['SomethingNewLimitExceeded', 'transient', undefined],
  ])('%s is %s', (name, kind, hint) => {
    const err = awsError(name);
    const out = classifyAwsError(err, 'ec2:ReleaseAddress');
    if (kind === 'transient') expect(out).toBe(err);
    else {
      expect(out).toBeInstanceOf(PermanentError);
      expect((out as PermanentError).hint).toMatch(hint!);
    }
  });

  it('treats a server fault and a throttle as transient whatever the name', () => {
    const server = awsError('AccessDenied', 'oops', 503);
    expect(classifyAwsError(server, 'iam:GetRole')).toBe(server);
    const throttled = new EKSServiceException({
      name: 'TooManyRequestsException',
      $fault: 'client',
      $metadata: { httpStatusCode: 429 },
      $retryable: { throttling: true },
      message: 'slow down',
    });
    expect(awsErrorFacts(throttled)).toMatchObject({ code: 'TooManyRequestsException', throttling: true, status: 429 });
    expect(classifyAwsError(throttled, 'eks:DescribeCluster')).toBe(throttled);
  });

  it('sees the code through the PermanentError it was turned into (a retry can still match it)', () => {
    const perm = classifyAwsError(awsError('AuthFailure'), 'ec2:ReleaseAddress');
    expect(perm).toBeInstanceOf(PermanentError);
    expect(awsErrorCode(perm)).toBe('AuthFailure');
    expect(isAwsError(perm, 'AuthFailure')).toBe(true);
  });

  it('leaves what is not an SDK error alone, even when its name looks like one', () => {
    const e = Object.assign(new Error('x'), { name: 'AccessDenied' });
    expect(awsErrorCode(e)).toBeUndefined();
    expect(classifyAwsError(e, 'ec2:DescribeVpcs')).toBe(e);
  });
});
