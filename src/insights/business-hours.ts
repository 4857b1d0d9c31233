/**
 * Business hours live in the domain (src/domain/business-hours.ts): one definition, built from
 * RAPPORT_BUSINESS_HOURS / RAPPORT_BUSINESS_DAYS, that response times and follow-up due dates share.
 * Re-exported here for the insights modules and their callers.
 */
export {
  type BusinessHours,
  businessMinutesBetween,
  DEFAULT_BUSINESS_HOURS,
  parseBusinessHours,
} from '../domain/business-hours.ts';
