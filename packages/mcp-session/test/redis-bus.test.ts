import { singleRedis } from './redis-backends.ts'
import { redisBusSuite } from './redis-bus-suite.ts'

redisBusSuite(singleRedis)
