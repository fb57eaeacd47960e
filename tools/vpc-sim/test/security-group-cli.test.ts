// `vpc-sim sg`: list, create, allow, revoke, set-eni and delete on a running
// sim, JSON when piped; groups named by name or id; a usage mistake exits 2,
// an unknown group or a refused API call exits 1 with one line; a config
// mistake in a group exits 2 naming the field.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { bin, run, tempDir } from '@cello/testkit';
import { NO_DELAYS, withSim } from '@cello/testkit/sim';
import { uniqueSimName } from '../src/index.ts';

const env = { ...process.env, NODE_OPTIONS: '' };
const cli = (...args: string[]) => run(bin('vpc-sim'), args, { env });

t.test('vpc-sim sg on a running sim', async (t) => {
  const sim = await withSim(t, { nodes: 1, config: { delaysMs: NO_DELAYS } });
  const sg = async (...args: string[]) => {
    const r = await cli('sg', ...args, '--name', sim.info.name);
    return { code: r.exitCode, out: String(r.stdout), err: String(r.stderr) };
  };
  const json = async (...args: string[]) => {
    const r = await sg(...args);
    if (r.code !== 0) throw new Error(`sg ${args.join(' ')}: exit ${r.code}: ${r.err}`);
    return JSON.parse(r.out);
  };

  t.match(await json('list'), [
    { id: sim.info.securityGroups[0]!.id, name: 'default', ingress: [{ cidrIp: '0.0.0.0/0' }], enis: [sim.info.nodes[0]!.primaryEniId] },
  ]);
  const red = await json('create', 'red', '--description', 'the red one');
  t.match(red, { id: /^sg-/, name: 'red', description: 'the red one', ingress: [{ sourceGroupId: /^sg-/, sourceGroupName: 'red' }], enis: [] });
  const blue = await json('create', 'blue');
  t.match(await json('allow', 'blue', '--from-group', 'red'), {
    id: blue.id,
    ingress: [{ sourceGroupName: 'blue' }, { sourceGroupId: red.id, sourceGroupName: 'red' }],
  });
  t.match(await json('allow', blue.id, '--from-cidr', '10.1.2.3/16'), { ingress: [{}, {}, { cidrIp: '10.1.0.0/16' }] }, 'by id; the CIDR canonical');
  t.same((await json('revoke', 'blue', '--from-group', red.id)).ingress, [{ sourceGroupId: blue.id, sourceGroupName: 'blue' }, { cidrIp: '10.1.0.0/16' }]);
  const eni = (await sim.api('CreateNetworkInterface', { SubnetId: sim.info.subnets[0]!.id, 'SecurityGroupIds.1': red.id })).Result.NetworkInterfaceId;
  t.same(await json('set-eni', eni, 'red', 'blue'), { networkInterfaceId: eni, securityGroupIds: [red.id, blue.id] });
  t.same((await json('list')).find((g: { id: string }) => g.id === blue.id).enis, [eni], 'list shows the ENI in blue');

  const inUse = await sg('delete', 'blue');
  t.equal(inUse.code, 1, 'a refused call: exit 1');
  t.match(inUse.err, /DeleteSecurityGroup failed: InvalidSecurityGroup\.InUse/);
  t.same(await json('set-eni', eni, 'red'), { networkInterfaceId: eni, securityGroupIds: [red.id] });
  t.same(await json('delete', 'blue'), { deleted: blue.id });

  const unknown = await sg('allow', 'nope', '--from-cidr', '10.0.0.0/8');
  t.equal(unknown.code, 1);
  t.match(unknown.err, /no security group nope \(known: default sg-/);
  const neither = await sg('allow', 'red');
  t.equal(neither.code, 2, 'neither --from-group nor --from-cidr: a usage mistake');
  t.match(neither.err, /give --from-group GROUP or --from-cidr CIDR/);
  t.equal((await sg('allow', 'red', '--from-group', 'red', '--from-cidr', '10.0.0.0/8')).code, 2, 'both: a usage mistake');
  const drop = await sg('revoke', 'red', '--from-cidr', '10.9.0.0/16');
  t.equal(drop.code, 1);
  t.match(drop.err, /InvalidSecurityRule\.NotFound/);
});

t.test('a security group config mistake: exit 2 naming the field', async (t) => {
  const dir = tempDir('vpc-sim-sg-cli-');
  t.teardown(dir.remove);
  const file = join(dir.path, 'c.json');
  writeFileSync(file, JSON.stringify({ securityGroups: ['a', { name: 'b', ingress: [{ sourceGroup: 'z' }] }] }));
  const r = await cli('up', '--name', uniqueSimName('u'), '--config', file);
  t.equal(r.exitCode, 2);
  t.match(String(r.stderr), /"securityGroups\[1\]\.ingress\[0\]\.sourceGroup" must name one of the configured groups/);
});
