/**
 * bin/cello-eni: the cloud side of a node for operators and pipes. A thin
 * shell: parse, load the config, connect, call the library, print.
 */
import { CommandError, emit, keyValueColumns, readJsonInput, redact, resolveFormat, UsageError } from '@cello/cli-kit';
import { onceOrWatch, runCommandLine } from '@cello/cli-kit/yargs';
import { DEFAULT_STATE_DIR } from '@cello/cello-ipam';
import { DEFAULT_CONFIG_PATH, DEFAULT_NODE_CONFIG_PATH, loadConfig } from './config/load.ts';
import { DEFAULT_METADATA_ADDRESS } from './config/resolve.ts';
import { metadataClient } from './context.ts';
import { ensureOurs, surplusDoc } from './cli/input.ts';
import * as tables from './cli/tables.ts';
import { loadFromArgs, log, pathsOf, session, stopSignal } from './cli/session.ts';
import { attachEni, detachEni, createEni, freeEni } from './lifecycle/eni.ts';
import { assignIps } from './lifecycle/ips.ts';
import { nodeLimits } from './lifecycle/limits.ts';
import { importDocFor } from './lifecycle/record.ts';
import { releaseSurplus } from './lifecycle/release.ts';
import { SubnetPicker } from './lifecycle/subnets.ts';
import { MetadataClient } from './metadata/client.ts';
import { metadataTree } from './metadata/instance.ts';
import { runKeeper } from './pool/keeper.ts';
import { ttyProgress } from './util/progress.ts';
import { listAll, listNode, showEni } from './view/list.ts';

const USAGE = `cello-eni manages this node's ENIs in the Volcengine VPC (OpenAPI + metadata service) and keeps
the warm pool of pod IPs in cello-ipam. Credentials come from the config (a RAM role, or keys); they are never printed.

  cello-eni list                                   this node's ENIs, with IPs used/free/cooling
  cello-eni pool --watch                           the pool keeper (one per node)
  cello-eni assign --eni eni-x --count 4 | cello-ipam import
  cello-ipam surplus --keep 8 | cello-eni unassign | cello-ipam forget

Usage: cello-eni <command> [options]`;

const dry = { 'dry-run': { type: 'boolean', default: false, description: 'print what would be done; change nothing' } } as const;
const force = { force: { type: 'boolean', default: false, description: 'act on an ENI Cello did not create for this node' } } as const;

export async function main(argv: string[]): Promise<void> {
  await runCommandLine('cello-eni', argv, USAGE, (cli) =>
    cli
      .option('config', { type: 'string', default: DEFAULT_CONFIG_PATH, description: "the cluster config (the cello-config ConfigMap's conf key)" })
      .option('node-config', { type: 'string', default: DEFAULT_NODE_CONFIG_PATH, description: 'node-scope overrides (optional file)' })
      .option('state-dir', { type: 'string', default: DEFAULT_STATE_DIR, description: "cello-ipam's state directory" })
      .command(
        'list',
        "this node's ENIs: id, MAC, device, status, subnet, primary IP, IPs used/free/cooling (from cello-ipam), security groups",
        (y) => y.option('all', { type: 'boolean', default: false, description: 'every Cello ENI in the VPC (of this cluster), on any instance' }),
        async (a) => {
          const ctx = await session(a);
          const rows = a.all ? await listAll(ctx) : await listNode(ctx, a.stateDir);
          emit(rows, a.output, { rows, columns: a.all ? tables.allEniColumns : tables.eniColumns });
        },
      )
      .command(
        'show <eni>',
        "one ENI: the cloud's record, the host device, and every IP cello-ipam has on it",
        (y) => y.positional('eni', { type: 'string', demandOption: true }),
        async (a) => {
          const r = await showEni(await session(a), a.eni, a.stateDir);
          if (!r) throw new CommandError(`no ENI ${a.eni} in this account and region`);
          emit(r, a.output, { rows: [r.view], columns: tables.eniColumns });
        },
      )
      .command(
        'metadata',
        'what the instance metadata service says about this node (role credentials left out)',
        (y) => y,
        async (a) => {
          // Needs no credentials: a missing or broken config means the default address.
          let md = new MetadataClient(DEFAULT_METADATA_ADDRESS);
          try {
            md = metadataClient(loadConfig(pathsOf(a)).config);
          } catch (err) {
            log.debug('no usable config; using the default metadata address', { error: err });
          }
          const tree = await metadataTree(md);
          if (resolveFormat(a.output) === 'table') process.stdout.write(`${tables.treeText(tree)}\n`);
          else emit(tree, a.output);
        },
      )
      .command(
        'limits',
        "this instance type's ENI and IP limits, the ENIs others attached, and the pod capacity",
        (y) => y,
        async (a) => {
          const limits = await nodeLimits(await session(a));
          emit(limits, a.output, { rows: Object.entries(limits), columns: keyValueColumns });
        },
      )
      .command(
        'subnets',
        'the configured subnets: zone, free IPs, and whether a new ENI may go there',
        (y) => y,
        async (a) => {
          const ctx = await session(a);
          const rows = await new SubnetPicker(ctx).status({ ipv6: ctx.config.ipFamily !== 'ipv4', fresh: true });
          emit(rows, a.output, { rows, columns: tables.subnetColumns });
        },
      )
      .command(
        'create',
        'create an ENI for this node (tagged, in the configured security groups) with its IPs, and wait until Available',
        (y) =>
          y
            .option('subnet', { type: 'string', description: 'subnet id (default: the configured subnet with the most free IPs)' })
            .option('ips', { type: 'number', default: 1, description: 'IPv4s, the primary included' })
            .option('ipv6s', { type: 'number', default: 0, description: 'IPv6s' })
            .options(dry)
            .check((x) => {
              if (!Number.isInteger(x.ips) || x.ips < 1 || x.ips > 50) throw new UsageError('--ips must be a whole number from 1 to 50');
              if (!Number.isInteger(x.ipv6s) || x.ipv6s < 0 || x.ipv6s > 49)
                throw new UsageError('--ipv6s must be a whole number from 0 to 49 (what one create call may carry)');
              return true;
            }),
        async (a) => {
          const ctx = await session(a, stopSignal());
          const subnetId = a.subnet ?? (await new SubnetPicker(ctx).pick({ ipv6: a.ipv6s > 0 })).id;
          const request = { subnetId, ipv4Count: a.ips, ipv6Count: a.ipv6s, securityGroupIds: ctx.config.securityGroups };
          if (a.dryRun) return emit({ dryRun: true, action: 'CreateNetworkInterface', request }, a.output);
          emit(await createEni(ctx, request), a.output);
        },
      )
      .command(
        'attach <eni>',
        'attach to this node and wait until it is InUse, on the host and in metadata; prints the Import document for cello-ipam',
        (y) => y.positional('eni', { type: 'string', demandOption: true }).options(dry).options(force),
        async (a) => {
          const ctx = await session(a, stopSignal());
          ensureOurs(ctx, await ctx.api.describeEni(a.eni), a.eni, a.force);
          if (a.dryRun) return emit({ dryRun: true, action: 'AttachNetworkInterface', eni: a.eni, instanceId: ctx.identity.instanceId }, a.output);
          const at = await attachEni(ctx, a.eni);
          emit({ enis: [await importDocFor(ctx, at.eni, { metadata: at.metadata, device: at.device.name })] }, a.output);
        },
      )
      .command(
        'detach <eni>',
        'detach from this node and wait until Available',
        (y) => y.positional('eni', { type: 'string', demandOption: true }).options(dry).options(force),
        async (a) => {
          const ctx = await session(a, stopSignal());
          ensureOurs(ctx, await ctx.api.describeEni(a.eni), a.eni, a.force);
          if (a.dryRun) return emit({ dryRun: true, action: 'DetachNetworkInterface', eni: a.eni }, a.output);
          emit((await detachEni(ctx, a.eni)) ?? { id: a.eni, gone: true }, a.output);
        },
      )
      .command(
        'delete <eni>',
        'give an ENI back: detach (if attached), wait Available, delete',
        (y) => y.positional('eni', { type: 'string', demandOption: true }).options(dry).options(force),
        async (a) => {
          const ctx = await session(a, stopSignal());
          const eni = await ctx.api.describeEni(a.eni);
          if (!eni) return emit({ id: a.eni, deleted: true, alreadyGone: true }, a.output);
          ensureOurs(ctx, eni, a.eni, a.force);
          if (a.dryRun)
            return emit({ dryRun: true, actions: [...(eni.instanceId ? ['DetachNetworkInterface'] : []), 'DeleteNetworkInterface'], eni: a.eni }, a.output);
          await freeEni(ctx, a.eni);
          emit({ id: a.eni, deleted: true }, a.output);
        },
      )
      .command(
        'assign',
        'assign new IPs to an ENI of this node and wait for metadata; prints them as an Import document (| cello-ipam import)',
        (y) =>
          y
            .option('eni', { type: 'string', demandOption: true })
            .option('count', { type: 'number', default: 1, description: 'new IPv4s' })
            .option('ipv6-count', { type: 'number', default: 0, description: 'new IPv6s' })
            .options(dry)
            .options(force)
            .check((x) => {
              if (!Number.isInteger(x.count) || x.count < 0) throw new UsageError('--count must be a whole number ≥ 0');
              const v6 = Number(x.ipv6Count);
              if (!Number.isInteger(v6) || v6 < 0) throw new UsageError('--ipv6-count must be a whole number ≥ 0');
              if (x.count + v6 === 0) throw new UsageError('nothing to assign: give --count and/or --ipv6-count');
              return true;
            }),
        async (a) => {
          const ctx = await session(a, stopSignal());
          const eni = ensureOurs(ctx, await ctx.api.describeEni(a.eni), a.eni, a.force);
          if (a.dryRun)
            return emit({ dryRun: true, action: 'AssignPrivateIpAddresses/AssignIpv6Addresses', eni: a.eni, count: a.count, ipv6Count: a.ipv6Count }, a.output);
          const added = await assignIps(ctx, eni, a.count, a.ipv6Count, { waitMetadata: eni.instanceId === ctx.identity.instanceId });
          const doc = await importDocFor(ctx, eni);
          emit({ enis: [{ ...doc, ips: added.ips, ipv6s: added.ipv6s }] }, a.output);
        },
      )
      .command(
        'unassign [file]',
        'give back what a Surplus document lists (cello-ipam surplus); prints what the cloud no longer has, in the same shape (| cello-ipam forget)',
        (y) => y.positional('file', { type: 'string', description: 'Surplus JSON ("-" or absent: stdin)' }).options(dry).options(force),
        async (a) => {
          const doc = surplusDoc(await readJsonInput(a.file, 'surplus document'));
          const ctx = await session(a, stopSignal());
          for (const e of doc.enis) {
            const eni = await ctx.api.describeEni(e.id);
            if (eni && eni.instanceId !== ctx.identity.instanceId) ensureOurs(ctx, eni, e.id, a.force);
          }
          if (a.dryRun) return emit({ dryRun: true, ...doc }, a.output, { rows: doc.enis, columns: tables.surplusColumns });
          const r = await releaseSurplus(ctx, doc);
          emit(r.removed, a.output, { rows: r.removed.enis, columns: tables.surplusColumns });
          if (r.failed.length) throw new CommandError(`could not give back ${r.failed.map((f) => `${f.id} (${f.error.message})`).join('; ')}`);
        },
      )
      .command(
        'pool',
        'the pool keeper: keep poolTarget free IPs and poolTargetMin in all (one keeper per node)',
        (y) =>
          onceOrWatch(y, {
            once: 'reconcile, fill or trim once; exit 0 when the targets are met, 1 with the reason when not',
            watch: 'keep the pool until SIGTERM',
          }),
        async (a) => {
          const summary = await runKeeper({ configPaths: pathsOf(a), stateDir: a.stateDir, once: a.once, signal: stopSignal(), log, progress: ttyProgress() });
          if (a.once) {
            const last = summary.rounds.at(-1);
            emit(summary, a.output, {
              rows: Object.entries({
                met: summary.met,
                reason: summary.reason,
                ...(last
                  ? { free: last.after.free, total: last.after.total, used: last.after.used, target: last.after.target, targetMin: last.after.targetMin }
                  : {}),
              }),
              columns: keyValueColumns,
            });
            if (!summary.met && !summary.stopped) throw new CommandError(`pool targets not met: ${summary.reason}`);
          }
        },
      )
      .command(
        'config',
        'the config in effect: both files merged, defaults filled in, secrets shown as ***',
        (y) => y,
        (a) => {
          const loaded = loadFromArgs(a);
          const out = { files: loaded.files, warnings: loaded.warnings, config: redact(loaded.config) };
          emit(out, a.output, { rows: Object.entries(out.config), columns: keyValueColumns });
        },
      ),
  );
}

void main(process.argv.slice(2));
