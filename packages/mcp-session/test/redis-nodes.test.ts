import { singleRedis } from './redis-backends.ts'
import { redisNodesSuite } from './redis-nodes-suite.ts'

redisNodesSuite(singleRedis)
