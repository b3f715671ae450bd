export { createDashboard, type Dashboard } from './dashboard.js';
export type { DashboardOptions, DashboardOutbox, DashboardAuth } from './options.js';
export { DashboardError } from './options.js';
export type { DashboardStore, QueriesLike, StatsLike, SchedulesLike, RelayLike, RelayEventLike } from './types.js';
