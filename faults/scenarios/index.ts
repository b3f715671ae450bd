import { backlog } from './backlog.js';
import { blockedHeads } from './blocked-heads.js';
import { brokerNetwork } from './broker-network.js';
import { brokerOutage } from './broker-outage.js';
import { clockSkew } from './clock-skew.js';
import { dbRestart } from './db-restart.js';
import { debounceZombies } from './debounce-zombies.js';
import { durableCrash } from './durable-crash.js';
import { failpointActions } from './failpoint-actions.js';
import { horizon } from './horizon.js';
import { hostileProducers } from './hostile-producers.js';
import { malformed } from './malformed.js';
import { network } from './network.js';
import { pgliteWebhooks } from './pglite-webhooks.js';
import { poison } from './poison.js';
import { poolExhaustion } from './pool-exhaustion.js';
import { race } from './race.js';
import { relayKill } from './relay-kill.js';
import { rollingSchedules } from './rolling-schedules.js';
import type { Scenario } from './types.js';

/** Every scenario, in the order they run. */
export const SCENARIOS: readonly Scenario[] = [relayKill, race, failpointActions, dbRestart, durableCrash, network, brokerOutage, brokerNetwork, horizon, clockSkew, poison, malformed, blockedHeads, hostileProducers, debounceZombies, poolExhaustion, pgliteWebhooks, rollingSchedules, backlog];
