// Addresses: the API endpoint mode and its address, and the pod and service ranges against each
// other, the hosts and the VPC.

import { cidrContains, cidrsOverlap, isIpv4, parseCidr, parseIpv4 } from "../cidr";
import type { Raw, Reader } from "../reader";
import { API_ENDPOINT_MODES, ApiEndpointConfig, HostSpec, ProviderName, VIP_IMPLEMENTATIONS } from "../types";
import type { Counts } from "./hosts";
import { KINDS } from "./patterns";

export function readApiEndpoint(r: Reader, raw: Raw, provider: ProviderName | undefined, hosts: HostSpec[]): ApiEndpointConfig {
  const mode = r.oneOf(raw.apiEndpoint, "apiEndpoint", API_ENDPOINT_MODES, "nginx-proxy");
  const endpoint: ApiEndpointConfig = {
    mode,
    port: r.int(raw.apiPort, "apiPort", 6443, 1, 65535),
    vipImplementation: r.oneOf(raw.vipImplementation, "vipImplementation", VIP_IMPLEMENTATIONS, "keepalived"),
    vipInterface: r.text(raw.vipInterface, "vipInterface", KINDS.interface, "eth0"),
  };
  const vip = r.string(raw.vip, "vip");
  const external = r.string(raw.externalEndpoint, "externalEndpoint");
  if (mode === "vip") {
    if (!vip || !isIpv4(vip)) {
      r.fail(
        "vip",
        vip ? `'${vip}' is not an IPv4 address` : "apiEndpoint: vip needs the floating address",
        "set vip to a free IPv4 address on the control planes' network",
      );
    } else if (hosts.some((h) => h.privateIp === vip || h.address === vip)) {
      r.fail("vip", `${vip} is already a host's address`, "pick an unused address for the VIP");
    }
    if (provider === "aws" || provider === "digitalocean") {
      r.fail(
        "apiEndpoint",
        `a VIP needs L2 failover (gratuitous ARP), which ${provider} VPCs do not carry`,
        "use apiEndpoint: nginx-proxy or external",
      );
    }
    endpoint.address = vip;
  } else if (vip !== undefined) {
    r.fail("vip", `is only used with apiEndpoint: vip (apiEndpoint is '${mode}')`, "remove vip, or set apiEndpoint: vip");
  }
  if (mode === "external") {
    if (!external || !KINDS.host.test(external)) {
      r.fail(
        "externalEndpoint",
        external ? `'${external}' is not an address or DNS name` : "apiEndpoint: external needs the load balancer's address",
        "set externalEndpoint to your LB's IP or DNS name (no port; see apiPort)",
      );
    }
    endpoint.address = external;
  } else if (external !== undefined) {
    r.fail(
      "externalEndpoint",
      `is only used with apiEndpoint: external (apiEndpoint is '${mode}')`,
      "remove externalEndpoint, or set apiEndpoint: external",
    );
  }
  return endpoint;
}

export function checkNetworks(
  r: Reader,
  podText: string,
  serviceText: string,
  hosts: HostSpec[],
  api: ApiEndpointConfig,
  vpcNet: { cidr: string; key: string } | undefined,
  counts: Counts,
): void {
  const pod = parseCidr(podText);
  const service = parseCidr(serviceText);
  if (!pod) r.fail("podCidr", `'${podText}' is not an IPv4 CIDR with its network address`, "e.g. 10.244.0.0/16");
  if (!service) r.fail("serviceCidr", `'${serviceText}' is not an IPv4 CIDR with its network address`, "e.g. 10.96.0.0/12");
  if (service && service.prefix > 28) {
    // kubeadm gives the cluster DNS the 10th address of the range; /28 is the smallest that has it
    r.fail(
      "serviceCidr",
      `/${service.prefix} is too small: kubeadm needs the range's 10th address for DNS`,
      "use a /12 to /28, e.g. 10.96.0.0/12",
    );
  }
  if (service && service.prefix < 12) {
    r.fail("serviceCidr", `/${service.prefix} is larger than kube-apiserver accepts (/12 at most)`, "use a /12 to /24, e.g. 10.96.0.0/12");
  }
  const nodes = counts.controlPlaneCount + counts.workerCount + (hosts.length ? 0 : counts.etcdCount);
  const widest = 24 - Math.ceil(Math.log2(Math.max(nodes, 1) + 1));
  if (pod && pod.prefix > widest) {
    r.fail(
      "podCidr",
      `/${pod.prefix} leaves too few /24 node ranges for ${nodes} nodes`,
      `use a /${widest} or a larger block, e.g. 10.0.0.0/${widest}`,
    );
  }
  if (pod && service && cidrsOverlap(pod, service)) {
    r.fail(
      "serviceCidr",
      `${serviceText} overlaps podCidr ${podText}`,
      "pick disjoint ranges, e.g. podCidr 10.244.0.0/16 and serviceCidr 10.96.0.0/12",
    );
  }
  const vpc = vpcNet === undefined ? undefined : parseCidr(vpcNet.cidr);
  if (vpcNet !== undefined && !vpc) {
    r.fail(vpcNet.key, `${JSON.stringify(vpcNet.cidr)} is not an IPv4 CIDR with its network address`, "e.g. 10.10.0.0/16");
  }
  for (const [name, block] of [
    ["podCidr", pod],
    ["serviceCidr", service],
  ] as const) {
    if (!block) continue;
    if (vpc && cidrsOverlap(vpc, block)) {
      r.fail(name, `${block.text} overlaps the VPC ${vpc.text}`, `move ${name} or the VPC range so they are disjoint`);
    }
    hosts.forEach((host, i) => {
      const ip = parseIpv4(host.privateIp);
      if (ip !== undefined && cidrContains(block, ip)) {
        r.fail(`hosts[${i}].privateIp`, `${host.privateIp} lies inside ${name} ${block.text}`, `move ${name} away from the hosts' network`);
      }
    });
    const vip = api.mode === "vip" && api.address ? parseIpv4(api.address) : undefined;
    if (vip !== undefined && cidrContains(block, vip)) {
      r.fail("vip", `${api.address} lies inside ${name} ${block.text}`, "use an address on the control planes' own network");
    }
  }
}
