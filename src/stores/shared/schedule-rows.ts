import type { StoredSchedule } from '../../core/schedule-store.js';

export interface ScheduleRow {
  name: string;
  cron: string;
  timezone: string | null;
  topic: string;
  payload: string;
  msg_key: string | null;
  next_run_at: Date | number | string;
}

export const SCHEDULE_COLUMNS = 'name, cron, timezone, topic, payload, msg_key, next_run_at';

export function rowToSchedule(r: ScheduleRow): StoredSchedule {
  const at = r.next_run_at;
  return {
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    topic: r.topic,
    payload: r.payload,
    key: r.msg_key,
    nextRunAt: at instanceof Date ? at : new Date(typeof at === 'string' && /^\d+$/.test(at) ? Number(at) : at),
  };
}
