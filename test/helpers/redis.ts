// Each test file that needs Redis gets its own redis-server on a free port, so tests can restart or fill it.
export { freePort, startRedis, type LocalRedis as TestRedis } from '../../sandbox/redis.ts';
