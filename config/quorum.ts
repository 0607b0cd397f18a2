// etcd quorum rules and topology placement checks.
//
// An etcd cluster of n members commits a write once floor(n/2)+1 members have it, so it keeps
// working while at most floor((n-1)/2) members are down. Even sizes add a member without adding
// tolerance (4 tolerates 1, like 3) and raise the chance of losing quorum; 2 members tolerate
// nothing and fail if either goes, worse than 1. We refuse even sizes and cap at 7, etcd's advice.

import type { Reader } from "./reader";
import type { EtcdTopology } from "./types";

export const MAX_ETCD_MEMBERS = 7;

export function quorumSize(members: number): number {
  return Math.floor(members / 2) + 1;
}

export function faultTolerance(members: number): number {
  return members - quorumSize(members);
}

export function checkQuorum(r: Reader, etcdCount: number, controlPlaneCount: number, topology: EtcdTopology): void {
  if (controlPlaneCount < 1) {
    r.fail(
      "controlPlaneCount",
      "a cluster needs at least one control plane",
      "set controlPlaneCount to 3 for HA (or 1 for a test cluster)",
    );
  }
  const key = topology === "stacked" ? "controlPlaneCount" : "etcdCount";
  if (etcdCount === 0) {
    if (topology === "external") {
      r.fail("etcdCount", "external etcd needs dedicated etcd nodes", "give 3 hosts the etcd role (bare metal) or set etcdCount: 3");
    }
    return;
  }
  if (etcdCount === 2) {
    r.fail(
      key,
      "a 2-member etcd cluster is refused: it loses quorum when either member fails, worse than a single member",
      topology === "stacked" ? "use 1 or 3 control planes" : "use 1 or 3 etcd members",
    );
  } else if (etcdCount % 2 === 0) {
    r.fail(
      key,
      `${etcdCount} etcd members tolerate ${faultTolerance(etcdCount)} failure(s), the same as ${etcdCount - 1}, with more ways to lose quorum`,
      `use an odd member count: ${etcdCount - 1} or ${etcdCount + 1}`,
    );
  } else if (etcdCount > MAX_ETCD_MEMBERS) {
    r.fail(key, `${etcdCount} etcd members slow every write; etcd recommends at most ${MAX_ETCD_MEMBERS}`, "use 3, 5 or 7 members");
  }
}
