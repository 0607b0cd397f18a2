// Subject alternative names for the certificates the cluster serves (pure).

import { isIpv4, nthAddress, parseCidr } from "../../config/cidr";
import type { ApiEndpointConfig } from "../../config/types";

export interface Sans {
  dnsNames: string[];
  ipAddresses: string[];
}

export const CLUSTER_DOMAIN = "cluster.local";

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ""))];
}

/** The `kubernetes` Service's ClusterIP: the first address of the service CIDR. */
export function firstServiceIp(serviceCidr: string): string {
  const block = parseCidr(serviceCidr);
  if (!block) throw new Error(`serviceCidr ${serviceCidr} is not a CIDR`);
  return nthAddress(block, 1);
}

/**
 * The kube-apiserver serving certificate of one control plane. Each control plane gets its own
 * certificate with its own addresses plus every shared name clients may use (the endpoint, VIP
 * or external LB, localhost for the per-node proxy, the service IP, kubernetes.default...), so
 * adding a control plane issues one new certificate and leaves the others untouched.
 */
export function apiserverSans(args: {
  nodeName: string;
  privateIp: string;
  publicIp?: string;
  serviceCidr: string;
  endpoint: ApiEndpointConfig;
  clusterDomain?: string;
}): Sans {
  const domain = args.clusterDomain ?? CLUSTER_DOMAIN;
  const endpoint = args.endpoint.address;
  return {
    dnsNames: unique([
      "kubernetes",
      "kubernetes.default",
      "kubernetes.default.svc",
      `kubernetes.default.svc.${domain}`,
      "localhost",
      args.nodeName,
      endpoint && !isIpv4(endpoint) ? endpoint : "",
    ]),
    ipAddresses: unique([
      firstServiceIp(args.serviceCidr),
      "127.0.0.1",
      args.privateIp,
      args.publicIp ?? "",
      endpoint && isIpv4(endpoint) ? endpoint : "",
    ]),
  };
}

/** etcd member certificates (server and peer): the member's name, IP and loopback. */
export function etcdMemberSans(name: string, privateIp: string): Sans {
  return { dnsNames: unique([name, "localhost"]), ipAddresses: unique([privateIp, "127.0.0.1"]) };
}
