import { MemoryTaskStore } from '../src/index.ts'
import { taskStoreContract } from './task-store-contract.ts'

taskStoreContract('MemoryTaskStore', async () => new MemoryTaskStore())
