// cello-ipam allocate+release, beside Debian's host-local IPAM plugin allocating
// and releasing through its own store (a file per IP under a flock) in the same run:
// - in one process: the library's allocate+release pairs per second, and what
//   opening the store costs each CNI process;
// - one process per operation: `bin/cello-ipam alloc` then `release`, against
//   `host-local` ADD then DEL, both as a runtime would start them; and the
//   library alone in a fresh Node process per operation (what cello-cni pays
//   for IPAM, without the operator CLI's yargs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { bin, repoRoot, tempDir } from '@cello/testkit';
// tools/bench does not depend on cello-ipam; import the library by path.
import { type IpamStore, openStore } from '@cello/cello-ipam';
import { hyperfine } from '../hyperfine.ts';
import { type BenchReport, ms, ratio } from '../report.ts';

const HOST_LOCAL = '/usr/lib/cni/host-local';

/** 4 ENIs × 63 IPs, cooldown 0 so the pool never runs dry however long the bench runs. */
function seed(store: IpamStore) {
  store.setSettings({ ipCooldownSec: 0 });
  store.import({
    enis: [1, 2, 3, 4].map((n) => ({
      id: `eni-${n}`,
      mac: `02:00:00:00:00:0${n}`,
      mode: 'shared',
      subnetCidr: `10.${n}.0.0/24`,
      gateway: `10.${n}.0.1`,
      primaryIp: `10.${n}.0.2`,
      ips: Array.from({ length: 63 }, (_, i) => `10.${n}.0.${i + 2}`),
    })),
  });
}

function perSecond(pairs: number, fn: (i: number) => void): { pairsPerSec: number; usPerPair: number } {
  const start = performance.now();
  for (let i = 0; i < pairs; i++) fn(i);
  const elapsed = performance.now() - start;
  return { pairsPerSec: (pairs / elapsed) * 1000, usPerPair: (elapsed / pairs) * 1000 };
}

function inProcess(dir: string) {
  const stateDir = join(dir, 'inproc');
  const store = openStore({ stateDir });
  seed(store);
  const key = (i: number) => ({ network: 'cello', containerId: `bench-${i}`, ifname: 'eth0' });
  const cycle = (s: IpamStore, i: number) => {
    s.allocate({ ...key(i), podNamespace: 'bench', podName: `pod-${i}`, netns: '/var/run/netns/x' });
    s.release(key(i));
  };
  perSecond(200, (i) => cycle(store, i)); // warm-up
  const hot = perSecond(3000, (i) => cycle(store, i + 1000));
  store.close();
  // What each CNI process pays on top of its allocation: open (pragmas, schema check) and close.
  // Closing the last connection checkpoints the WAL into the file (with an fsync); on a node the
  // pool keeper holds the store open all the time, so a CNI process never is the last one.
  const openClose = (i: number) => {
    const s = openStore({ stateDir });
    cycle(s, i);
    s.close();
  };
  const keeper = openStore({ stateDir });
  const opened = perSecond(300, (i) => openClose(i + 10_000));
  keeper.close();
  const openedAlone = perSecond(100, (i) => openClose(i + 20_000));
  return { hot, opened, openedAlone };
}

/** A one-file program that opens the store, does one alloc or release, and closes it. */
async function libraryProgram(dir: string): Promise<string> {
  const entry = join(dir, 'one-op.ts');
  writeFileSync(
    entry,
    `import { openStore } from ${JSON.stringify(join(repoRoot, 'packages/cello-ipam/src/index.ts'))};
     const [verb, stateDir, id] = process.argv.slice(2);
     const store = openStore({ stateDir });
     const key = { network: 'cello', containerId: id, ifname: 'eth0' };
     if (verb === 'alloc') store.allocate({ ...key, podNamespace: 'bench', podName: id, netns: '/var/run/netns/x' });
     else store.release(key);
     store.close();`,
  );
  const outfile = join(dir, 'one-op.cjs');
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', external: ['better-sqlite3'], logLevel: 'warning' });
  return outfile;
}

/** hyperfine, one process per operation: the floor, the CLI, the library alone, host-local. */
async function perProcess(dir: string) {
  const stateDir = join(dir, 'cli');
  const conf = join(dir, 'host-local.json');
  writeFileSync(
    conf,
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'bench',
      type: 'bridge',
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.250.0.0/24' }]], dataDir: join(dir, 'host-local') },
    }),
  );
  const cni = (verb: string) =>
    `CNI_COMMAND=${verb} CNI_CONTAINERID=c$$ CNI_NETNS=/var/run/netns/bench CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni ${HOST_LOCAL} < ${conf} > /dev/null`;
  const ipam = (verb: string) => `${bin('cello-ipam')} ${verb} --state-dir ${stateDir} --container c$$ > /dev/null`;
  const program = await libraryProgram(dir);
  const lib = (verb: string) => `node ${program} ${verb} ${stateDir} l$$`;
  // Held open through the timed runs, as the pool keeper holds it on a node.
  const keeper = openStore({ stateDir });
  try {
    seed(keeper);
    const [floor, cli, library, hostLocal] = await hyperfine(
      {
        'node -e 0, twice (the floor)': `sh -c 'node -e 0 && node -e 0'`,
        'cello-ipam alloc → release': `sh -c '${ipam('alloc')} && ${ipam('release')}'`,
        'library alloc → release, a process each': `sh -c '${lib('alloc')} && ${lib('release')}'`,
        'host-local ADD → DEL': `sh -c '${cni('ADD')} && ${cni('DEL')}'`,
      },
      // The library program is bundled outside the repository: it finds better-sqlite3 through NODE_PATH.
      { runs: 40, warmup: 5, env: { NODE_OPTIONS: '', NODE_PATH: join(repoRoot, 'node_modules') } },
    );
    return { floor: floor!, cli: cli!, library: library!, hostLocal: hostLocal! };
  } finally {
    keeper.close();
  }
}

export default {
  name: 'ipam',
  async run(): Promise<BenchReport> {
    const dir = tempDir('cello-bench-ipam-');
    try {
      const { hot, opened, openedAlone } = inProcess(dir.path);
      const { floor, cli, library, hostLocal } = await perProcess(dir.path);
      return {
        suite: 'ipam',
        lines: [
          `in one process: ${hot.pairsPerSec.toFixed(0)} allocate+release pairs/s (${hot.usPerPair.toFixed(0)} µs a pair, each change one BEGIN IMMEDIATE commit)`,
          `in one process, opening and closing the store around each pair: ${(opened.usPerPair / 1000).toFixed(2)} ms a pair while the keeper holds it open, ${(openedAlone.usPerPair / 1000).toFixed(2)} ms alone (each close checkpoints)`,
          `one process per operation, bin/cello-ipam alloc → release: median ${ms(cli.medianMs)}`,
          `one process per operation, library only (as in cello-cni):  median ${ms(library.medianMs)}`,
          `one process per operation, host-local ADD → DEL:            median ${ms(hostLocal.medianMs)}`,
          `cello-ipam CLI / host-local: ${ratio(cli.medianMs, hostLocal.medianMs)}; library / host-local: ${ratio(library.medianMs, hostLocal.medianMs)}`,
          `the floor, two bare \`node -e 0\`: median ${ms(floor.medianMs)}; library over the floor: ${ms(library.medianMs - floor.medianMs)} for two operations`,
        ],
        data: { inProcess: { hot, openClose: opened, openCloseAlone: openedAlone }, floor, cli, library, hostLocal },
      };
    } finally {
      dir.remove();
    }
  },
};
