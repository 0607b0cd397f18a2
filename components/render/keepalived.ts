// keepalived for `apiEndpoint: vip` (pure): VRRP on the control planes; the node with the
// highest priority whose local apiserver answers holds the VIP. A failed health check lowers
// the priority below every healthy peer, so the VIP moves within a few seconds.

import { bareToken } from "./guard";

export interface VrrpSettings {
  vip: string;
  interface: string;
  /** 1..255, the same on every control plane of the cluster */
  routerId: number;
  /** this node's position among the control planes (0 = preferred holder) */
  index: number;
  peers: string[];
  self: string;
  apiPort: number;
}

export function vrrpRouterId(clusterName: string): number {
  let hash = 0;
  for (const ch of clusterName) hash = (hash * 31 + ch.charCodeAt(0)) % 251;
  return hash + 1;
}

export function renderKeepalivedConf(s: VrrpSettings): string {
  bareToken(s.interface, "the VIP interface");
  bareToken(s.vip, "the VIP");
  for (const address of [s.self, ...s.peers]) bareToken(address, "a control plane's address");
  const priority = 150 - s.index;
  const peers = s.peers.filter((p) => p !== s.self).sort();
  return [
    "# managed by kubeadm-ha",
    "global_defs {",
    "  enable_script_security",
    "  script_user root",
    "}",
    "vrrp_script apiserver {",
    `  script "/usr/bin/env curl -fsk --max-time 2 https://127.0.0.1:${s.apiPort}/readyz"`,
    "  interval 2",
    "  fall 2",
    "  rise 2",
    "  weight -60",
    "}",
    "vrrp_instance kubeadm_ha_api {",
    "  state BACKUP",
    `  interface ${s.interface}`,
    `  virtual_router_id ${s.routerId}`,
    `  priority ${priority}`,
    "  advert_int 1",
    "  nopreempt",
    `  unicast_src_ip ${s.self}`,
    "  unicast_peer {",
    ...peers.map((p) => `    ${p}`),
    "  }",
    "  virtual_ipaddress {",
    `    ${s.vip}/32 dev ${s.interface}`,
    "  }",
    "  track_script {",
    "    apiserver",
    "  }",
    "}",
    "",
  ].join("\n");
}
