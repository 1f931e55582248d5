// One read, one answer, for the length of a job: status asks the same Describe* questions from several
// places (each cluster checks every peering; the cost reads the NAT gateways again). Within one pass the
// answer cannot usefully change, so identical read calls share one request, and so does "not found".
import type { AwsClients } from '../deps.ts';

const READ = /^(Describe|List|Get)/;
/** AWS's names for a resource that is not there: EKS ResourceNotFoundException, EC2 *.NotFound, IAM NoSuchEntity. */
const NOT_FOUND = /NotFound|NoSuchEntity/;

type Sender = {
  send(command: { constructor: { name: string }; input: unknown }, ...rest: unknown[]): Promise<unknown>;
};

function memoClient<T extends object>(client: T, scope: string, cache: Map<string, Promise<unknown>>): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      const send = (target as unknown as Sender).send.bind(target);
      return (command: { constructor: { name: string }; input: unknown }, ...rest: unknown[]) => {
        const name = command.constructor.name;
        if (!READ.test(name) || rest.length > 0) return send(command, ...rest);
        const key = `${scope}:${name}:${JSON.stringify(command.input)}`;
        let hit = cache.get(key);
        if (!hit) {
          hit = send(command);
          // "Not found" is an answer, for this pass as much as any other (every step of a first `up` asks about
          // a cluster that does not exist yet). Any other failure is not remembered: the next asker tries again.
          hit.catch((err: unknown) => {
            if (!NOT_FOUND.test((err as { name?: string })?.name ?? '')) cache.delete(key);
          });
          cache.set(key, hit);
        }
        return hit;
      };
    },
  });
}

/** AWS clients whose identical read calls are made once; make a new one for each pass. */
export function memoizeReads(aws: AwsClients): AwsClients {
  const cache = new Map<string, Promise<unknown>>();
  return {
    ec2: (region) => memoClient(aws.ec2(region), `ec2:${region}`, cache),
    eks: (region) => memoClient(aws.eks(region), `eks:${region}`, cache),
    elbv2: (region) => memoClient(aws.elbv2(region), `elbv2:${region}`, cache),
    elb: (region) => memoClient(aws.elb(region), `elb:${region}`, cache),
    iam: () => memoClient(aws.iam(), 'iam', cache),
    sts: () => memoClient(aws.sts(), 'sts', cache),
  };
}
