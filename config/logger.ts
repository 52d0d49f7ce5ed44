import { pino } from 'pino';
import { config } from './env';

/** Structured logs, one JSON line per event. */
export const logger = pino({ level: config().LOG_LEVEL, base: { service: 'order-reporting' } });
