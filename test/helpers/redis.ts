// Each test file that needs Redis gets its own redis-server on a free port, so tests can restart or fill it.
export { freePort, type LocalRedis as TestRedis, startRedis } from '../../sandbox/redis.ts';
