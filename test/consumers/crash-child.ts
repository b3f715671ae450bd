/** A process running the consumers of a crash case until it is killed. */
import { openConsumerCase, type ConsumerCrashCase } from './crash-case.js';

const opened = await openConsumerCase(JSON.parse(process.argv[2]!) as ConsumerCrashCase);
opened.consumers.start();
process.on('SIGTERM', () => void opened.consumers.stop().then(() => process.exit(0)));
