// Round-trip times between AWS regions (inter-region ping medians as published by cloud latency monitors),
// with jitter: enough for a ping from us-east-1 to us-west-2 to look like one.
const baseRtt: Record<string, [number, number]> = {
  'us-east-1|us-west-2': [62, 70],
  'us-east-1|us-east-2': [11, 14],
  'us-east-1|us-west-1': [60, 66],
  'us-east-1|eu-west-1': [67, 75],
  'us-east-1|eu-central-1': [88, 95],
  'us-east-1|ap-northeast-1': [143, 150],
  'us-east-2|us-west-2': [48, 53],
  'us-west-1|us-west-2': [20, 24],
  'us-west-2|eu-west-1': [118, 126],
  'us-west-2|ap-northeast-1': [96, 102],
  'eu-west-1|eu-central-1': [23, 27],
};

/** [min, max] milliseconds for one round trip between two regions. */
export function rttRange(a: string, b: string): [number, number] {
  if (a === b) return [0.4, 1.2]; // across VPCs or AZs in one region
  return baseRtt[`${a}|${b}`] ?? baseRtt[`${b}|${a}`] ?? [90, 110];
}

export function sampleRtt(range: [number, number]): number {
  return range[0] + Math.random() * (range[1] - range[0]);
}
