// Whether the SDK sent a call more than once. A create without an idempotency token (CreateVpc, AllocateAddress,
// CreateInternetGateway, CreateVpcPeeringConnection) can leave a second copy only then: a first attempt whose
// answer was lost may have made one. Answered at the first attempt, the call made exactly one.

/** The SDK's record of the attempts behind an answer (`$metadata.attempts`; absent counts as one). */
export function sentMoreThanOnce(out: { $metadata?: { attempts?: number } }): boolean {
  return (out.$metadata?.attempts ?? 1) > 1;
}
