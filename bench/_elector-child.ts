/**
 * A control-plane replica reduced to its leader elector, run as its own process so tests and the
 * store benchmark can kill -9 a leader. Usage:
 *   node _elector-child.js ETCD_URL ID TTL_SECONDS
 * Prints one JSON line per change on stdout: {"event":"leader"|"follower","leader":…,"at":ms}, and
 * {"event":"wrote","revision":N} after the guarded write it makes on becoming leader.
 */
import { EtcdLeaderElector } from '../src/cluster/leader/etcd-leader-elector.js';
import { EtcdStateStore } from '../src/store/etcd-store.js';

const [url, id, ttl] = process.argv.slice(2);
const store = await EtcdStateStore.open(url);
const elector = new EtcdLeaderElector(store, { id, address: `child-${process.pid}`, ttlSeconds: Number(ttl ?? 4) });
const say = (o: object) => process.stdout.write(JSON.stringify({ ...o, at: Date.now() }) + '\n');

elector.onChange((isLeader, leader) => {
  say({ event: isLeader ? 'leader' : 'follower', leader });
  if (!isLeader) return;
  void store.commit([elector.guard(), { op: 'put', key: '/bench/leader-writes', value: id }]).then((res) => {
    if (res.ok) say({ event: 'wrote', revision: res.revision });
  });
});
await elector.start();
say({ event: 'started', leader: elector.leaderInfo() });

process.on('SIGTERM', () => {
  void elector.stop().then(() => store.close()).then(() => process.exit(0));
});
