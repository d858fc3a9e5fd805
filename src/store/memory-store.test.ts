import { stateStoreContract } from '../../test/contracts/state-store.contract.js';
import { MemoryStateStore } from './memory-store.js';

stateStoreContract('memory', async () => new MemoryStateStore());
