import { after } from 'node:test'
import { redisCluster, stopCluster } from './redis-backends.ts'
import { redisBusSuite } from './redis-bus-suite.ts'
import { redisEventLogSuite } from './redis-event-log-suite.ts'
import { redisNodesSuite } from './redis-nodes-suite.ts'
import { redisStoreSuite } from './redis-store-suite.ts'
import { redisTaskStoreSuite } from './redis-task-store-suite.ts'

// The store, event log, bus, two-node and task store suites again, on a Redis Cluster of three masters that
// this file starts on free ports (never the shared Redis) and stops when it is done.
after(stopCluster)

redisStoreSuite(redisCluster)
redisEventLogSuite(redisCluster)
redisBusSuite(redisCluster)
redisNodesSuite(redisCluster)
redisTaskStoreSuite(redisCluster)
