import { singleRedis } from './redis-backends.ts'
import { redisTaskStoreSuite } from './redis-task-store-suite.ts'

redisTaskStoreSuite(singleRedis)
