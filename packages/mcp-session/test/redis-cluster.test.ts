import { after } from 'node:test'
import { redisCluster, stopCluster } from './redis-backends.ts'
import { redisBusSuite } from './redis-bus-suite.ts'
import { redisEventLogSuite } from './redis-event-log-suite.ts'
import { redisNodesSuite } from './redis-nodes-suite.ts'
import { redisStoreSuite } from './redis-store-suite.ts'

// The store, event log, bus and two-node suites again, on a Redis Cluster of three masters that
// this file starts on free ports (never the shared Redis) and stops when it is done.
after(stopCluster)

redisStoreSuite(redisCluster)
redisEventLogSuite(redisCluster)
redisBusSuite(redisCluster)
redisNodesSuite(redisCluster)
