// The kubeadm-ha program: stack config -> provider -> cluster -> outputs. No resource logic here.

import { clusterSpecOf } from "./config/clusterSpec";
import { loadConfig } from "./config/load";
import * as pulumi from "@pulumi/pulumi";
import { createInfrastructure } from "./providers";
import { checkHostKeys } from "./providers/hostKeyCheck";
import { loadBalancerDnsRecords } from "./providers/dns";
import { Cluster } from "./components/cluster";

const { config, sshPrivateKey, sshPrivateKeyText } = loadConfig();
// a preview runs nothing on hosts and connects to none; an update first checks every pinned host key
if (config.provider === "baremetal" && !pulumi.runtime.isDryRun()) checkHostKeys(config, sshPrivateKeyText);
const infrastructure = createInfrastructure(config.clusterName, config, sshPrivateKey);
const cluster = new Cluster(config.clusterName, { nodes: infrastructure.nodes, spec: clusterSpecOf(config) });
const lb = cluster.serviceLoadBalancer;
if (lb) loadBalancerDnsRecords({ config, nodes: lb.nodes, name: `${config.clusterName}-slb`, parent: lb });

export const kubeconfig = cluster.kubeconfig;
export const apiServer = cluster.apiServer;
export const etcdEndpoints = cluster.etcdEndpoints;
export const etcdInitialCluster = cluster.etcdInitialCluster;
/** when every certificate and kubeconfig expires (RFC 3339): README, "Certificates" */
export const certificateExpiry = cluster.pki.expiries;
export const nodes = cluster.nodeSummary;
export const etcdCaCert = cluster.pki.etcdCa.certPem;
export const etcdHealthcheckClientCert = cluster.pki.etcdHealthcheckClient.certPem;
// No etcd client key here: with client-certificate auth any key the etcd CA signed can read and
// write every key in etcd, so it stays on the etcd members (operators: etcdctl on a member).
