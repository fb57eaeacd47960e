/**
 * `vpc-sim sg …`: security groups for tests and operators — list them with
 * their ingress rules, create and delete one, allow or revoke a source
 * (another group or an IPv4 CIDR), and set an ENI's groups. Every change goes
 * through the sim's OpenAPI as the account owner (the control socket's `api`),
 * so it is the same code path, errors and dataplane update as a signed call.
 * A group is named by id or by its (unique) name.
 */
import { CommandError, emit } from '@cello/cli-kit';
import type { Argv } from 'yargs';
import type { ControlClient } from '../control/client.ts';
import type { SimState } from '../control/state.ts';
import { sgColumns } from './tables.ts';

type Group = SimState['securityGroups'][number];

/** A group as the command prints it: rules with their source group's name. */
export interface SgRow {
  id: string;
  name: string;
  description: string;
  ingress: Array<{ sourceGroupId?: string; sourceGroupName?: string; cidrIp?: string }>;
  enis: string[];
}

function rowOf(g: Group, all: Group[]): SgRow {
  return {
    ...g,
    ingress: g.ingress.map((r) => (r.sourceGroupId ? { ...r, sourceGroupName: all.find((x) => x.id === r.sourceGroupId)?.name ?? '' } : r)),
  };
}

/** The id of a group given by id or by name. */
function resolve(groups: Group[], ref: string): string {
  if (groups.some((g) => g.id === ref)) return ref;
  const named = groups.filter((g) => g.name === ref);
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) throw new CommandError(`${named.length} security groups are named ${ref} (${named.map((g) => g.id).join(', ')}); give the id`);
  throw new CommandError(`no security group ${ref} (known: ${groups.map((g) => `${g.name} ${g.id}`).join(', ')})`);
}

/** Run an action as the owner; an API error is this command's failure. */
async function call(control: ControlClient, action: string, params: Record<string, string>): Promise<Record<string, unknown>> {
  const r = await control.api(action, params);
  const body = r.body as { Result?: Record<string, unknown>; ResponseMetadata?: { Error?: { Code: string; Message: string } } };
  const err = body?.ResponseMetadata?.Error;
  if (err) throw new CommandError(`${action} failed: ${err.Code}: ${err.Message}`);
  return body.Result ?? {};
}

type Format = (argv: Record<string, unknown>) => string | undefined;

export function sgCommand<T>(y: Argv<T & { name: string }>, control: (name: string) => ControlClient, format: Format) {
  const groupsOf = async (c: ControlClient) => (await c.state()).securityGroups;
  const print = async (a: Record<string, unknown>, c: ControlClient, only?: string) => {
    const all = await groupsOf(c);
    const rows = all.filter((g) => !only || g.id === only).map((g) => rowOf(g, all));
    emit(only ? rows[0] : rows, format(a), { rows, columns: sgColumns });
  };
  const source = (c: Argv<T & { name: string }>) =>
    c
      .positional('group', { type: 'string', demandOption: true, description: 'the group (id or name) whose ingress changes' })
      .option('from-group', { type: 'string', description: 'admit every address of the ENIs in this group (id or name)' })
      .option('from-cidr', { type: 'string', description: 'admit this IPv4 CIDR' })
      .conflicts('from-group', 'from-cidr')
      .check((a) => (a['from-group'] || a['from-cidr'] ? true : 'give --from-group GROUP or --from-cidr CIDR'));
  const rule = (action: string) => async (a: Record<string, unknown>) => {
    const c = control(String(a.name));
    const groups = await groupsOf(c);
    const id = resolve(groups, String(a.group));
    const from: Record<string, string> = a['from-cidr'] ? { CidrIp: String(a['from-cidr']) } : { SourceGroupId: resolve(groups, String(a['from-group'])) };
    await call(c, action, { SecurityGroupId: id, Protocol: 'all', PortStart: '-1', PortEnd: '-1', Policy: 'accept', ...from });
    await print(a, c, id);
  };

  return y
    .command(
      'list',
      'the security groups, their ingress rules and how many ENIs are in each',
      (c) => c,
      async (a) => print(a, control(String(a.name))),
    )
    .command(
      'create <group>',
      'create a group (it admits its own members, as a real new group does)',
      (c) => c.positional('group', { type: 'string', demandOption: true, description: 'its name' }).option('description', { type: 'string' }),
      async (a) => {
        const c = control(String(a.name));
        const vpcId = (await c.info()).vpc.id;
        const r = await call(c, 'CreateSecurityGroup', {
          VpcId: vpcId,
          SecurityGroupName: String(a.group),
          ...(a.description ? { Description: a.description } : {}),
        });
        await print(a, c, String(r.SecurityGroupId));
      },
    )
    .command(
      'delete <group>',
      'delete a group (refused while an ENI or another group uses it)',
      (c) => c.positional('group', { type: 'string', demandOption: true }),
      async (a) => {
        const c = control(String(a.name));
        const id = resolve(await groupsOf(c), String(a.group));
        await call(c, 'DeleteSecurityGroup', { SecurityGroupId: id });
        emit({ deleted: id }, 'json');
      },
    )
    .command('allow <group>', 'add an ingress rule: --from-group G or --from-cidr C', source, rule('AuthorizeSecurityGroupIngress'))
    .command('revoke <group>', 'remove an ingress rule: --from-group G or --from-cidr C', source, rule('RevokeSecurityGroupIngress'))
    .command(
      'set-eni <eni> <groups..>',
      "replace an ENI's groups (ModifyNetworkInterfaceAttributes)",
      (c) => c.positional('eni', { type: 'string', demandOption: true }).positional('groups', { type: 'string', array: true, demandOption: true }),
      async (a) => {
        const c = control(String(a.name));
        const groups = await groupsOf(c);
        const ids = (a.groups as string[]).map((g) => resolve(groups, String(g)));
        await call(c, 'ModifyNetworkInterfaceAttributes', {
          NetworkInterfaceId: String(a.eni),
          ...Object.fromEntries(ids.map((id, i) => [`SecurityGroupIds.${i + 1}`, id])),
        });
        emit({ networkInterfaceId: a.eni, securityGroupIds: ids }, 'json');
      },
    )
    .demandCommand(1, 'name a subcommand: list, create, delete, allow, revoke or set-eni');
}
