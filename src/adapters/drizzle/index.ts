export { fromDrizzle } from './drizzle.js';
