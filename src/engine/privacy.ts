/** `engine.privacy`: GDPR acts that reach every store and every log consumer. */
import type { Logger } from 'pino';
import type { Parts } from './parts.js';

/** The privacy façade; `serialised` orders erasures with log writes, so no consumer sees a batch from before one after it. */
export function privacyFacade(parts: Pick<Parts, 'backend' | 'log'>, serialised: <T>(fn: () => Promise<T>) => Promise<T>, now: () => number, logger: Logger) {
  return {
    /** GDPR Art. 17: deletes the customer's record, events, quarantined items and everything derived (every consumer); refuses their future events. */
    eraseCustomer: (customerId: string): Promise<{ customerId: string; record: boolean; events: number; rejects: number }> =>
      serialised(async () => {
        const record = await parts.backend.customers.erase(customerId, now());
        const events = await parts.backend.eventLog.eraseCustomer(customerId);
        const rejects = await parts.backend.rejects.eraseCustomer(customerId);
        await parts.log.erase(customerId);
        logger.info({ event: 'customer_erased', events, rejects }, 'customer erased');
        return { customerId, record, events, rejects };
      }),
  };
}
