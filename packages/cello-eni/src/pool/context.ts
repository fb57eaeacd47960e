/** What the keeper's steps share: the cloud context, the node's store, the subnet picker. */
import type { IpamStore } from '@cello/cello-ipam';
import type { EniContext } from '../context.ts';
import type { SubnetPicker } from '../lifecycle/subnets.ts';

export interface KeeperContext extends EniContext {
  store: IpamStore;
  picker: SubnetPicker;
  /** The state dir (cello-ipam's store, the instance-type limits cache); unset: nothing is cached there. */
  stateDir?: string;
}
