/**
 * A control-plane replica reduced to its leader elector, run as its own process so tests and the
 * store benchmark can kill -9 a leader. Usage:
 *   node _elector-child.js ETCD_URL ID TTL_SECONDS
 * Prints one JSON line per change on stdout: {"event":"leader"|"follower","leader":…,"at":ms}. While
 * it believes it leads it makes a guarded write every 200 ms, as a reconciler would, and prints
 * {"event":"wrote","revision":N} or {"event":"refused"} for each.
 */
import { EtcdLeaderElector } from '../src/cluster/leader/etcd-leader-elector.js';
import { EtcdStateStore } from '../src/store/etcd-store.js';

const [url, id, ttl] = process.argv.slice(2);
const store = await EtcdStateStore.open(url);
const elector = new EtcdLeaderElector(store, { id, address: `child-${process.pid}`, ttlSeconds: Number(ttl ?? 4) });
const say = (o: object) => process.stdout.write(JSON.stringify({ ...o, at: Date.now() }) + '\n');

let writes = 0;
async function actAsLeader(): Promise<void> {
  if (!elector.isLeader()) return;
  try {
    const res = await store.commit([elector.guard(), { op: 'put', key: '/bench/leader-writes', value: `${id}:${++writes}` }]);
    say(res.ok ? { event: 'wrote', revision: res.revision } : { event: 'refused' });
  } catch (err) {
    say({ event: 'error', message: String(err) });
  }
}
elector.onChange((isLeader, leader) => {
  say({ event: isLeader ? 'leader' : 'follower', leader });
  void actAsLeader();
});
setInterval(() => void actAsLeader(), 200);
await elector.start();
say({ event: 'started', leader: elector.leaderInfo() });

process.on('SIGTERM', () => {
  void elector.stop().then(() => store.close()).then(() => process.exit(0));
});
