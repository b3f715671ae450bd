export { fromPrisma, fromPrismaMysql, type PrismaMysqlTransaction, type PrismaPgTransaction, type PrismaTransactionClient } from './prisma.js';
export { prismaMysqlTransactions, prismaTransactions, type PrismaClientLike, type PrismaTransactionOptions } from './consumers.js';
