// ModifyVpcAttribute as EC2 checks it: one attribute per call. Both DNS attributes at once are refused with
// InvalidParameterCombination ("Fields for multiple attribute types specified: enableDnsSupport,
// enableDnsHostnames", as users of libcloud and cluster-api-provider-aws met it); moto applies both.
import { ec2Error, type HttpReply } from './aws-errors.ts';
import type { AwsRequest } from './request-info.ts';

const ATTRIBUTES: Record<string, string> = {
  'EnableDnsSupport.Value': 'enableDnsSupport',
  'EnableDnsHostnames.Value': 'enableDnsHostnames',
  'EnableNetworkAddressUsageMetrics.Value': 'enableNetworkAddressUsageMetrics',
};

export function refuseVpcAttributes(req: AwsRequest): HttpReply | undefined {
  if (req.action !== 'ModifyVpcAttribute' || !req.form) return undefined;
  const named = [...req.form.keys()].flatMap((k) => (ATTRIBUTES[k] ? [ATTRIBUTES[k]] : []));
  if (named.length < 2) return undefined;
  return ec2Error(
    400,
    'InvalidParameterCombination',
    `Fields for multiple attribute types specified: ${named.join(', ')}`,
  );
}
