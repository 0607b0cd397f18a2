// The phase list: the order in which a cluster is built, one entry per phase, each implemented
// beside its component (the `...Phase` export of the component's file). `Cluster` runs this list
// and nothing else; `stopAfter` names one of these phases and cuts the list after it. A new phase
// is one new file with its component and its ClusterPhase, and one line here.

import { apiserverProxyPhase } from "./apiserverProxy";
import { cniPhase } from "./cni";
import { controlPlanePhase } from "./controlPlane";
import { etcdPhase } from "./etcd";
import { hostPrepPhase } from "./hostPrep";
import type { ClusterPhase } from "./phase";
import { pkiPhase } from "./pki";
import { serviceLoadBalancerPhase } from "./serviceLoadBalancer";
import { vipPhase } from "./vip";
import { workersPhase } from "./workers";

export const PHASE_LIST: readonly ClusterPhase[] = [
  hostPrepPhase,
  pkiPhase,
  etcdPhase,
  vipPhase,
  controlPlanePhase,
  apiserverProxyPhase,
  workersPhase,
  cniPhase,
  serviceLoadBalancerPhase,
];

/** Phase names in order: the values of `stopAfter`. */
export const PHASES: readonly string[] = PHASE_LIST.map((p) => p.name);
