import type { CoreContext } from '../context.ts';
import { verifyChain, type ChainCheck } from '../audit.ts';
import { auditChain } from '../../store/repositories/audit.ts';

/** Re-computes every hash of the audit trail and says where, if anywhere, it was tampered with. */
export async function verifyAuditTrail(ctx: CoreContext): Promise<ChainCheck> {
  return verifyChain(auditChain(ctx.db));
}
