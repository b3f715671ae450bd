export { fromPrisma, fromPrismaMysql, type PrismaTransactionClient } from './prisma.js';
