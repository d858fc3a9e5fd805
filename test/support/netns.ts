import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Test hosts in network namespaces made for the test: a `hub` namespace holds a bridge, and each
 * host namespace (and the test's own, root, namespace) is joined to it by a veth pair, on a
 * 10.x/24 that exists only inside these namespaces. Everything is removed by `destroy()`.
 */
export interface TestNetwork {
  /** Address of host `name` on the bridge. */
  address(name: string): string;
  /** Address of the test process (root namespace) on the bridge. */
  readonly self: string;
  namespace(name: string): string;
  /** Takes a host's link down (a cut cable) or up again. */
  setLink(name: string, up: boolean): void;
  /** Drops this fraction of packets in and out of every host namespace, at random. */
  setLoss(probability: number): void;
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

export function createTestNetwork(hosts: string[]): TestNetwork {
  const tag = randomBytes(2).toString('hex');
  const subnet = `10.${200 + (parseInt(tag, 16) % 50)}.${parseInt(tag.slice(0, 2), 16)}`;
  const hub = `orch-hub-${tag}`;
  const ns = (h: string) => `orch-${h}-${tag}`;
  const addr = new Map<string, string>();
  const created: string[] = [];
  const rootVeth = `ovr${tag}`;
  try {
    ip('netns', 'add', hub);
    created.push(hub);
    ip('netns', 'exec', hub, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
    ip('netns', 'exec', hub, 'ip', 'link', 'set', 'br0', 'up');
    ip('netns', 'exec', hub, 'ip', 'link', 'set', 'lo', 'up');
    hosts.forEach((h, k) => {
      const name = ns(h);
      ip('netns', 'add', name);
      created.push(name);
      const a = `${subnet}.${10 + k}`;
      addr.set(h, a);
      ip('link', 'add', `ov${k}${tag}`, 'netns', name, 'type', 'veth', 'peer', 'name', `oh${k}${tag}`, 'netns', hub);
      ip('netns', 'exec', name, 'ip', 'link', 'set', `ov${k}${tag}`, 'name', 'eth0');
      ip('netns', 'exec', name, 'ip', 'addr', 'add', `${a}/24`, 'dev', 'eth0');
      ip('netns', 'exec', name, 'ip', 'link', 'set', 'eth0', 'up');
      ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
      ip('netns', 'exec', hub, 'ip', 'link', 'set', `oh${k}${tag}`, 'master', 'br0');
      ip('netns', 'exec', hub, 'ip', 'link', 'set', `oh${k}${tag}`, 'up');
    });
    // The test process reaches the hosts through its own leg on the bridge.
    ip('link', 'add', rootVeth, 'type', 'veth', 'peer', 'name', `ohr${tag}`, 'netns', hub);
    ip('addr', 'add', `${subnet}.254/24`, 'dev', rootVeth);
    ip('link', 'set', rootVeth, 'up');
    ip('netns', 'exec', hub, 'ip', 'link', 'set', `ohr${tag}`, 'master', 'br0');
    ip('netns', 'exec', hub, 'ip', 'link', 'set', `ohr${tag}`, 'up');
  } catch (err) {
    for (const n of created.reverse()) execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
    throw err;
  }

  return {
    self: `${subnet}.254`,
    address: (h) => addr.get(h)!,
    namespace: ns,
    setLink(h, up) {
      const k = hosts.indexOf(h);
      ip('netns', 'exec', hub, 'ip', 'link', 'set', `oh${k}${tag}`, up ? 'up' : 'down');
    },
    setLoss(probability) {
      for (const h of hosts) {
        for (const chain of ['INPUT', 'OUTPUT']) {
          execFileSync('ip', ['netns', 'exec', ns(h), 'iptables', '-F', chain], { stdio: 'pipe' });
          if (probability > 0) execFileSync('ip', ['netns', 'exec', ns(h), 'iptables', '-A', chain, '-m', 'statistic', '--mode', 'random', '--probability', String(probability), '-j', 'DROP'], { stdio: 'pipe' });
        }
      }
    },
    destroy() {
      try {
        execFileSync('ip', ['link', 'del', rootVeth], { stdio: 'ignore' });
      } catch {
        /* gone with the hub */
      }
      for (const n of [...created].reverse()) {
        try {
          execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
        } catch {
          /* already gone */
        }
      }
    },
  };
}
