// What a changed inventory does to the running cluster, said in the preview before it happens:
// which etcd members join or leave, which control planes and workers join or leave, and which
// hosts change roles. Pure: the program compares its last deployment's `nodes` output with the
// nodes it plans now (the steps themselves are in components/etcd.ts, controlPlane.ts, workers.ts).

import { faultTolerance } from "./quorum";
import { ConfigError, type ConfigIssue } from "./reader";
import type { NodeRole } from "./types";

export interface MemberNode {
  name: string;
  roles: readonly NodeRole[];
}

const names = (nodes: readonly MemberNode[], role: NodeRole) => nodes.filter((n) => n.roles.includes(role)).map((n) => n.name);
const minus = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
const list = (xs: string[]) => xs.join(", ");

/**
 * The membership changes from `previous` (the last deployment's nodes; undefined for a new stack or
 * a release before that output) to `current`, one line each, in the order the run makes them; empty
 * when nothing joins, leaves or changes role.
 */
export function describeMembership(previous: readonly MemberNode[] | undefined, current: readonly MemberNode[]): string[] {
  if (previous === undefined || previous.length === 0) return [];
  const lines: string[] = [];
  const before = (role: NodeRole) => names(previous, role);
  const after = (role: NodeRole) => names(current, role);
  const [etcdBefore, etcdAfter] = [before("etcd"), after("etcd")];
  const etcdJoin = minus(etcdAfter, etcdBefore);
  const etcdLeave = minus(etcdBefore, etcdAfter);
  if (etcdJoin.length + etcdLeave.length > 0) {
    const sizes = `${etcdBefore.length} -> ${etcdAfter.length} members, tolerating ${faultTolerance(etcdBefore.length)} -> ${faultTolerance(etcdAfter.length)} failed`;
    lines.push(`etcd: ${sizes}`);
    for (const n of etcdJoin) lines.push(`  ${n} joins the running etcd cluster as a learner, promoted once caught up (one at a time)`);
    for (const n of etcdLeave)
      lines.push(
        `  ${n}'s member is removed (etcdctl member remove) after the joins, one at a time while quorum holds, before its etcd is reset`,
      );
  }
  const cpJoin = minus(after("control-plane"), before("control-plane"));
  const cpLeave = minus(before("control-plane"), after("control-plane"));
  for (const n of cpJoin) lines.push(`control plane ${n} joins (kubeadm join --control-plane); every apiserver proxy adds it`);
  for (const n of cpLeave)
    lines.push(`control plane ${n} leaves: drained, its Node deleted, kubeadm reset; every apiserver proxy and kubeconfig drops it`);
  const nodesBefore = previous.map((n) => n.name);
  const nodesAfter = current.map((n) => n.name);
  const workerJoin = minus(after("worker"), before("worker")).filter((n) => !after("control-plane").includes(n));
  const workerLeave = minus(before("worker"), after("worker")).filter((n) => !before("control-plane").includes(n));
  for (const n of workerJoin) lines.push(`worker ${n} joins`);
  for (const n of workerLeave) lines.push(`worker ${n} leaves: cordoned, drained (bounded), its Node deleted, then its host is reset`);
  for (const n of minus(nodesBefore, nodesAfter)) {
    const was = previous.find((p) => p.name === n)?.roles ?? [];
    if (!was.includes("worker") && !was.includes("control-plane")) lines.push(`${n} leaves (${was.join(", ")}): its host is reset`);
  }
  for (const n of current) {
    const was = previous.find((p) => p.name === n.name);
    if (!was) continue;
    const gained = n.roles.filter((r) => !was.roles.includes(r));
    const lost = was.roles.filter((r) => !n.roles.includes(r));
    if (gained.length + lost.length === 0) continue;
    const change = [...gained.map((r) => `+${r}`), ...lost.map((r) => `-${r}`)].join(" ");
    lines.push(`${n.name} changes roles: ${list([...was.roles])} -> ${list([...n.roles])} (${change})`);
  }
  return lines.length === 0 ? [] : ["membership changes this run makes:", ...lines.map((l) => `  ${l}`)];
}

/**
 * Refuses a host that stays in the inventory while gaining or losing the control-plane or worker
 * role: a node joins once (a worker's `kubeadm join` is never turned into a control plane's, the
 * control-plane taint is set when it joins), and a node that stops being one is reset, which must not
 * happen to a host that keeps other roles (its etcd data). etcd and loadbalancer roles may change on
 * a running host: members join and leave one at a time.
 * Throws a ConfigError naming `hosts[i].roles` of each such host.
 */
export function checkRoleChanges(previous: readonly MemberNode[] | undefined, current: readonly MemberNode[]): void {
  const issues: ConfigIssue[] = [];
  current.forEach((n, i) => {
    const was = previous?.find((p) => p.name === n.name);
    if (!was) return;
    const flips = (role: NodeRole) => was.roles.includes(role) !== n.roles.includes(role);
    if (!flips("control-plane") && !flips("worker")) return;
    issues.push({
      key: `hosts[${i}].roles`,
      message:
        `${n.name} runs as ${list([...was.roles])}; changing it to ${list([...n.roles])} in place is not supported ` +
        "(a node joins once as a control plane or a worker, and a control plane's taint is set when it joins)",
      fix: `remove ${n.name} from hosts and run pulumi up (it leaves the cluster and is reset), then add it back with its new roles and run pulumi up again`,
    });
  });
  if (issues.length > 0) throw new ConfigError(issues);
}
