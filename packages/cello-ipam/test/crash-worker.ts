// A crash-test worker (bundled by crash.test.ts): allocates and releases in a
// loop through the library and reports each committed change on stdout
// ("A <id> <ip>", "R <id>", "F <id>" for no free IP) before starting the
// next. The test SIGKILLs it at random moments; closing stdin stops it cleanly.
import { writeSync } from 'node:fs';
import { NoFreeIpError, openStore } from '../src/index.ts';

const [stateDir, tag] = process.argv.slice(2) as [string, string];
let stop = false;
process.stdin.on('end', () => (stop = true)).resume();

const store = openStore({ stateDir, busyTimeoutMs: 60_000 });
const key = (containerId: string) => ({ network: 'cello', containerId, ifname: 'eth0' });
const held: string[] = [];
let n = 0;

async function loop() {
  while (!stop) {
    if (held.length >= 4 || (held.length > 0 && Math.random() < 0.5)) {
      const [id] = held.splice(Math.floor(Math.random() * held.length), 1) as [string];
      store.release(key(id));
      writeSync(1, `R ${id}\n`);
    } else {
      const id = `${tag}-${n++}`;
      try {
        // Twenty pod names: sandboxes of the same pod come and go, exercising stickiness.
        const a = store.allocate({ ...key(id), podNamespace: 'crash', podName: `pod-${n % 20}`, netns: `/var/run/netns/${id}` });
        held.push(id);
        writeSync(1, `A ${id} ${a.ipv4}\n`);
      } catch (err) {
        if (!(err instanceof NoFreeIpError)) throw err;
        writeSync(1, `F ${id}\n`);
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  store.close();
}

void loop();
