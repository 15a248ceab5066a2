import { createCampaignService, type CampaignService } from './campaigns.js';
import { createGroupService, type GroupService } from './groups.js';
import { createLifecycle, type Lifecycle, type LifecycleOptions } from './lifecycle.js';
import { createSweep, type Sweep } from './sweep.js';
import { createUserService, type UserService } from './users.js';

export interface Services {
  lifecycle: Lifecycle;
  users: UserService;
  groups: GroupService;
  campaigns: CampaignService;
  sweep: Sweep;
}

/**
 * The services of one app (or one background worker), with their own in-process state (turn-taking
 * of writers): two apps on one database are two processes to each other.
 */
export function createServices(options: LifecycleOptions): Services {
  const lifecycle = createLifecycle(options);
  const users = createUserService(options.storage, lifecycle);
  const groups = createGroupService(options.storage, lifecycle, async (ctx, id, operation) => void (await users.reevaluate(ctx, id, operation)));
  const campaigns = createCampaignService(options.storage, options.policy, lifecycle, users);
  const sweep = createSweep(options.storage, lifecycle, { User: users.finishDelete, Group: groups.finishDelete }, campaigns);
  return { lifecycle, users, groups, campaigns, sweep };
}
