import { Cron } from 'croner';
import { invalidArgument } from '../core/errors.js';
import type { StoredSchedule } from '../core/schedule-store.js';
import type { PublishInput } from './publish.js';

/** A recurring message: published to the topic's consumers at every tick of the cron pattern. */
export interface ScheduleDefinition {
  /** Unique name; setting it again replaces the schedule (the same cron and time zone keep its next tick). */
  name: string;
  /** Five fields (minute precision) or six (seconds first), as croner reads them. */
  cron: string;
  /** IANA time zone the pattern is read in, e.g. `Europe/Paris`. Default UTC. */
  timezone?: string;
  topic: string;
  payload?: unknown;
  key?: string;
}

export const SCHEDULE_HEADER = 'txbox-schedule';
export const SCHEDULED_FOR_HEADER = 'txbox-scheduled-for';

/** The first tick of the pattern strictly after `after`, or null when the pattern has no more. */
export function nextTick(cron: string, timezone: string | null, after: Date): Date | null {
  return new Cron(cron, { paused: true, ...(timezone ? { timezone } : {}) }).nextRun(after);
}

export function toStoredSchedule(d: ScheduleDefinition, now: Date): StoredSchedule {
  if (!d || typeof d !== 'object') throw invalidArgument('schedule', d, 'must be an object');
  if (typeof d.name !== 'string' || d.name.length === 0 || d.name.length > 200) throw invalidArgument('schedule.name', d.name, 'must be a non-empty string of at most 200 characters');
  if (typeof d.topic !== 'string' || d.topic.length === 0) throw invalidArgument('schedule.topic', d.topic, 'must be a non-empty string');
  const timezone = d.timezone ?? null;
  let next: Date | null;
  try {
    next = nextTick(d.cron, timezone, now);
  } catch (cause) {
    const field = /timezone/i.test((cause as Error).message) ? 'schedule.timezone' : 'schedule.cron';
    throw invalidArgument(field, field === 'schedule.cron' ? d.cron : d.timezone, `is not valid (${(cause as Error).message})`);
  }
  if (next === null) throw invalidArgument('schedule.cron', d.cron, 'never fires after now');
  let payload: string | undefined;
  try {
    payload = JSON.stringify(d.payload ?? null);
  } catch (cause) {
    throw invalidArgument('schedule.payload', d.payload, `must be JSON-serializable (${(cause as Error).message})`);
  }
  return { name: d.name, cron: d.cron, timezone, topic: d.topic, payload, key: d.key ?? null, nextRunAt: next };
}

export function tickMessage(s: StoredSchedule): PublishInput {
  return {
    topic: s.topic,
    payload: JSON.parse(s.payload),
    ...(s.key === null ? {} : { key: s.key }),
    headers: { [SCHEDULE_HEADER]: s.name, [SCHEDULED_FOR_HEADER]: s.nextRunAt.toISOString() },
  };
}
