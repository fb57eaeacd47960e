// `vpc-sim exec`: a command runs as if on the node — its network namespace,
// /sys showing its devices, its own /var/lib/cello and friends, its hostname,
// /etc/hosts sending the OpenAPI host name to the sim — and nothing of that
// leaks to the machine. stdin, stdout, stderr and the exit code pass through.
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { bin, run } from '@cello/testkit';
import { withSim } from '@cello/testkit/sim';

t.test('exec runs a command as on the node', async (t) => {
  const sim = await withSim(t, { nodes: 2 });
  const vpcSim = bin('vpc-sim');
  const exec = (node: string, script: string, input?: string) =>
    run(vpcSim, ['exec', '--name', sim.info.name, node, '--', 'sh', '-c', script], { input, env: { ...process.env, NODE_OPTIONS: '' } });

  const who = await exec('node1', 'hostname; ls /sys/class/net; ip -br addr show eth0');
  t.equal(who.exitCode, 0, String(who.stderr));
  const [host, ...rest] = String(who.stdout).trim().split('\n');
  t.equal(host, 'node1', 'hostname is the node name');
  t.match(rest.join('\n'), /^eth0\nlo\n/, "/sys/class/net lists the node's own devices");
  t.match(rest.join('\n'), new RegExp(`${sim.info.nodes[0]!.primaryIp.replace(/\./g, '\\.')}/24`), 'eth0 holds the primary address');

  const hosts = await exec('node1', 'getent hosts open.volcengineapi.com');
  t.match(String(hosts.stdout), /^100\.96\.0\.100\s+open\.volcengineapi\.com/, '/etc/hosts sends the OpenAPI host to the sim');

  const marker = `marker-${sim.info.name}`;
  t.equal((await exec('node1', `echo one > /var/lib/cello/${marker} && echo conf > /etc/cni/net.d/${marker}`)).exitCode, 0);
  t.equal(String((await exec('node1', `cat /var/lib/cello/${marker}`)).stdout), 'one', 'a node keeps its files');
  t.equal((await exec('node2', `test -e /var/lib/cello/${marker}`)).exitCode, 1, 'another node does not see them');
  t.notOk(existsSync(`/var/lib/cello/${marker}`), 'nor does the machine');
  t.notOk(existsSync(`/etc/cni/net.d/${marker}`));
  t.ok(existsSync(`${sim.info.stateDir}/nodes/node1/root/var/lib/cello/${marker}`), "they live in the sim's state directory");
  t.notMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(sim.info.stateDir), 'no mount leaked into the machine');

  const io = await exec('node2', 'cat; echo err >&2; exit 3', 'from stdin\n');
  t.equal(io.exitCode, 3, "the exit code is the command's");
  t.equal(String(io.stdout), 'from stdin', 'stdin and stdout pass through (execa strips the final newline)');
  t.equal(String(io.stderr), 'err', 'stderr too');

  const env = await exec('node2', 'echo $VPC_SIM_NAME $VPC_SIM_NODE $KUBECONFIG');
  t.equal(String(env.stdout).trim(), `${sim.info.name} node2 ${sim.info.kubernetes.kubeconfig}`);

  const lib = await sim.exec('node1', ['cat', `/var/lib/cello/${marker}`]);
  t.same([lib.code, lib.stdout], [0, 'one\n'], "the library's exec is the same");

  const missing = await run(vpcSim, ['exec', '--name', sim.info.name, 'node9', '--', 'true']);
  t.equal(missing.exitCode, 2, 'an unknown node is a usage error');
  t.match(String(missing.stderr), /has no node node9/);
  const nocmd = await run(vpcSim, ['exec', '--name', sim.info.name, 'node1']);
  t.equal(nocmd.exitCode, 2, 'so is no command');
});
