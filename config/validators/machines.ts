// `machines` (clouds): how the program guards the VMs a cluster lives on. Control-plane and etcd
// VMs are protected (no `pulumi up` deletes or replaces one, `pulumi destroy` stops at them), and
// every VM keeps the image and SSH key it was made with (a newer AMI from the lookup, a rotated
// key): a replaced VM is a lost member. `rebuild` names the one VM to let go of on purpose.

import { planNodes } from "../plan";
import type { Reader, Raw } from "../reader";
import type { ClusterConfig, MachinesConfig } from "../types";
import { KINDS } from "./patterns";

export const DEFAULT_MACHINES: MachinesConfig = { protect: true, rebuild: [] };

export function readMachines(r: Reader, value: unknown, provider: string | undefined): MachinesConfig {
  if (value === undefined) return { ...DEFAULT_MACHINES };
  if (provider === "baremetal") {
    r.fail("machines", "guards cloud VMs; bare-metal hosts are not made by the program", "remove machines");
    return { ...DEFAULT_MACHINES };
  }
  const obj: Raw = r.object(value, "machines");
  r.allowKeys(obj, "machines", ["protect", "rebuild"]);
  const rebuild =
    obj.rebuild === undefined
      ? []
      : r.list(obj.rebuild, "machines.rebuild").map((v, i) => r.text(v, `machines.rebuild[${i}]`, KINDS.dnsLabel) ?? "");
  return { protect: r.bool(obj.protect, "machines.protect", true), rebuild };
}

/**
 * `machines.rebuild` against the planned VMs: names that exist, and at most one control-plane or
 * etcd VM at a time, never the only one (its replacement rejoins through the others).
 */
export function checkRebuild(r: Reader, config: ClusterConfig): void {
  if (config.provider === "baremetal" || config.machines.rebuild.length === 0) return;
  const plans = planNodes(config);
  const names = plans.map((p) => p.name);
  const members = plans.filter((p) => p.roles.includes("control-plane") || p.roles.includes("etcd"));
  config.machines.rebuild.forEach((name, i) => {
    if (!names.includes(name)) r.fail(`machines.rebuild[${i}]`, `no VM is named '${name}'`, `use one of ${names.join(", ")}`);
  });
  const rebuilt = members.filter((p) => config.machines.rebuild.includes(p.name));
  if (rebuilt.length > 1) {
    r.fail(
      "machines.rebuild",
      `${rebuilt.map((p) => p.name).join(" and ")} are control-plane or etcd VMs: replaced together, the cluster can lose its quorum or every apiserver at once`,
      "rebuild one of them, run pulumi up, then the next",
    );
  }
  for (const p of rebuilt) {
    for (const role of ["control-plane", "etcd"] as const) {
      if (p.roles.includes(role) && plans.filter((q) => q.roles.includes(role)).length === 1) {
        r.fail(
          "machines.rebuild",
          `${p.name} is the only ${role} VM: its replacement has nothing to rejoin and the cluster's ${role === "etcd" ? "data" : "control plane"} goes with it`,
          `add ${role === "etcd" ? "etcd members (etcdCount: 3)" : "control planes (controlPlaneCount: 3)"} first`,
        );
      }
    }
  }
}
