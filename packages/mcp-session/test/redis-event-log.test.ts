import { singleRedis } from './redis-backends.ts'
import { redisEventLogSuite } from './redis-event-log-suite.ts'

redisEventLogSuite(singleRedis)
