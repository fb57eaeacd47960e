/**
 * One describe shared by every ENI this process is waiting for. Reads are
 * budget: the account's flow limit counts each DescribeNetworkInterface*
 * call, whoever makes it. A waiter asks the board for its ENI's record; the
 * board gathers the ENIs asked for within GATHER_MS (or while a describe is
 * in flight) and answers them all with one call — DescribeNetworkInterfaceAttributes
 * for one ENI, DescribeNetworkInterfaces by ids for several.
 */
import type { CloudApi, CloudEni } from '../openapi/api.ts';
import { sleep } from '../util/sleep.ts';

const GATHER_MS = 150;

interface Pending {
  resolve: (e: CloudEni | undefined) => void;
  reject: (err: unknown) => void;
}

export class StatusBoard {
  private pending = new Map<string, Pending[]>();
  private running = false;

  constructor(private readonly api: CloudApi) {}

  /** The ENI as the cloud has it now (undefined: the cloud does not know it). */
  read(id: string): Promise<CloudEni | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(id) ?? [];
      list.push({ resolve, reject });
      this.pending.set(id, list);
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.size) {
        await sleep(GATHER_MS);
        const batch = this.pending;
        this.pending = new Map();
        const ids = [...batch.keys()];
        try {
          const found = ids.length === 1 ? [await this.api.describeEni(ids[0]!, { class: 'wait' })] : await this.api.listEnis({ ids }, { class: 'wait' });
          const byId = new Map(found.filter((e): e is CloudEni => e !== undefined).map((e) => [e.id, e]));
          for (const [id, waiters] of batch) for (const w of waiters) w.resolve(byId.get(id));
        } catch (err) {
          for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}

const boards = new WeakMap<CloudApi, StatusBoard>();

/** The board of this API client (one per process and credentials). */
export function statusBoard(api: CloudApi): StatusBoard {
  let b = boards.get(api);
  if (!b) boards.set(api, (b = new StatusBoard(api)));
  return b;
}
