// The kubeadm-ha program: stack config -> provider -> cluster -> outputs. No resource logic here.

import { clusterSpecOf } from "./config/clusterSpec";
import { loadConfig } from "./config/load";
import { upgradeStep } from "./config/upgrade";
import * as pulumi from "@pulumi/pulumi";
import { createInfrastructure } from "./providers";
import { afterHostKeyCheck, checkHostKeys } from "./providers/hostKeyCheck";
import { loadBalancerDnsRecords } from "./providers/dns";
import { hostScriptsNotice, previousDeployment } from "./config/previousDeployment";
import { hostScriptsDigest } from "./components/scripts";
import { Cluster } from "./components/cluster";
import { checkRoleChanges, describeMembership } from "./config/membership";

export = async () => {
  const { config, sshPrivateKey, sshPrivateKeyText } = loadConfig();
  // the version this stack's last deployment left running: a new kubernetesVersion is a rolling
  // upgrade from it, refused (with the path) before anything else when kubeadm cannot make it
  const previous = await previousDeployment();
  const running = previous.kubernetesVersion;
  upgradeStep(running ?? undefined, config.kubernetesVersion);
  const scripts = hostScriptsDigest();
  const notice = hostScriptsNotice(previous.hostScripts, scripts);
  if (notice) void pulumi.log.info(notice);
  // a preview runs nothing on hosts and connects to none; an update checks every pinned host key,
  // while the resources are built: no connection gets the private key before the check passed
  const hostKeysChecked =
    config.provider === "baremetal" && !pulumi.runtime.isDryRun() ? checkHostKeys(config, sshPrivateKeyText) : Promise.resolve();
  const infrastructure = createInfrastructure(config.clusterName, config, afterHostKeyCheck(sshPrivateKey, hostKeysChecked));
  // a host that stays must keep its control-plane and worker roles (refused before anything runs);
  // what joins and leaves is said in the preview before it happens
  const planned = infrastructure.nodes.map((n) => ({ name: n.name, roles: n.roles }));
  checkRoleChanges(previous.nodes, planned);
  const membership = describeMembership(previous.nodes, planned);
  if (membership.length > 0) void pulumi.log.info(membership.join("\n"));
  const cluster = new Cluster(config.clusterName, {
    nodes: infrastructure.nodes,
    spec: clusterSpecOf(config),
    runningKubernetesVersion: running,
  });
  const lb = cluster.serviceLoadBalancer;
  if (lb) loadBalancerDnsRecords({ config, nodes: lb.nodes, name: `${config.clusterName}-slb`, parent: lb });
  // a changed host key ends the run here, with every host it concerns named, before any step ran
  await hostKeysChecked;

  return {
    kubeconfig: cluster.kubeconfig,
    apiServer: cluster.apiServer,
    /** the version every node runs (written only by a deployment that finished): the next run upgrades from it */
    kubernetesVersion: cluster.kubernetesVersion,
    /** the digest of the host scripts of this release (a new release re-runs every step once: the preview says so) */
    hostScripts: scripts,
    etcdEndpoints: cluster.etcdEndpoints,
    etcdInitialCluster: cluster.etcdInitialCluster,
    /** when every certificate and kubeconfig expires (RFC 3339): README, "Certificates" */
    certificateExpiry: cluster.pki.expiries,
    nodes: cluster.nodeSummary,
    etcdCaCert: cluster.pki.etcdCa.certPem,
    etcdHealthcheckClientCert: cluster.pki.etcdHealthcheckClient.certPem,
    // No etcd client key here: with client-certificate auth any key the etcd CA signed can read and
    // write every key in etcd, so it stays on the etcd members (operators: etcdctl on a member).
  };
};
