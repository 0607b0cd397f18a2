// What guards a cloud VM (config/validators/machines.ts says why): its resource options (pure).

import type { MachinesConfig } from "../config/types";

/**
 * The resource options of one VM: keep the image and key it was made with (`drifting`: the
 * provider's properties for them), unless it is the one being rebuilt; protect control-plane and
 * etcd VMs under machines.protect, except the one being rebuilt.
 */
export function machineOptions(
  plan: { name: string; roles: readonly string[] },
  machines: MachinesConfig,
  drifting: string[],
): { ignoreChanges: string[]; protect: boolean } {
  const rebuilding = machines.rebuild.includes(plan.name);
  const member = plan.roles.includes("control-plane") || plan.roles.includes("etcd");
  return { ignoreChanges: rebuilding ? [] : drifting, protect: machines.protect && member && !rebuilding };
}
