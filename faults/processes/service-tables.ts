/** The tables of the shared-schedules world: an outbox and an inbox per service; schedules and tick effects shared. */
export const serviceTables = (prefix: string, service: string) => ({
  outbox: `${prefix}_${service}_outbox`,
  inbox: `${prefix}_${service}_inbox`,
  schedules: `${prefix}_schedules`,
  ticks: `${prefix}_ticks`,
});
