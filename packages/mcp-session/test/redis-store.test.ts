import { singleRedis } from './redis-backends.ts'
import { redisStoreSuite } from './redis-store-suite.ts'

redisStoreSuite(singleRedis)
