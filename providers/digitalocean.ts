// DigitalOcean: an SSH key, a VPC, one droplet per planned node (roles as tags), and firewalls
// that open only what the topology needs (see firewall.ts). Optional project grouping.

import * as pulumi from "@pulumi/pulumi";
import * as digitalocean from "@pulumi/digitalocean";
import { machineOptions } from "./machines";
import { planNodes } from "../config/plan";
import type { ClusterConfig } from "../config/types";
import { firewallRules, Target } from "./firewall";
import { bastionPinner, cloudHostKey, cloudInitHostKeys, openSshPublicKey } from "./hostKeys";
import { ClusterNode, sshConnection } from "./node";

const EVERYWHERE = ["0.0.0.0/0", "::/0"];

export interface DigitalOceanArgs {
  config: ClusterConfig;
  sshPrivateKey: pulumi.Input<string>;
}

export class DigitalOceanInfrastructure extends pulumi.ComponentResource {
  readonly nodes: ClusterNode[];
  readonly vpc: digitalocean.Vpc;
  readonly firewalls: digitalocean.Firewall[];

  constructor(name: string, args: DigitalOceanArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:providers:DigitalOcean", name, {}, opts);
    const { config } = args;
    const doConfig = config.digitalocean;
    if (!doConfig || !config.ssh.publicKey) throw new Error("DigitalOceanInfrastructure needs a validated digitalocean config");
    const parent = { parent: this };
    const cluster = config.clusterName;
    const tagName = (target: Target) => (target === "all" ? cluster : `${cluster}-${target}`);

    const targets: Target[] = ["all", "control-plane", "etcd", "worker", "loadbalancer"];
    const tags = new Map(targets.map((t) => [t, new digitalocean.Tag(`${name}-${tagName(t)}`, { name: tagName(t) }, parent)]));
    const key = new digitalocean.SshKey(`${name}-ssh`, { name: `${cluster}-admin`, publicKey: config.ssh.publicKey }, parent);
    this.vpc = new digitalocean.Vpc(`${name}-vpc`, { name: `${cluster}-vpc`, region: doConfig.region, ipRange: doConfig.vpcCidr }, parent);

    const droplets = planNodes(config).map((plan) => {
      const dropletTags = [tags.get("all")!.name, ...plan.roles.map((r) => tags.get(r)!.name)];
      const hostKey = cloudHostKey(`${name}-${plan.name}-host-key`, this);
      const droplet = new digitalocean.Droplet(
        `${name}-${plan.name}`,
        {
          name: plan.name,
          region: doConfig.region,
          size: doConfig.size,
          image: doConfig.image,
          vpcUuid: this.vpc.id,
          sshKeys: [key.fingerprint],
          tags: dropletTags,
          monitoring: true,
          // the host key the program made and pins: no first connection is trusted blindly
          userData: cloudInitHostKeys(hostKey),
        },
        // a new image or a rotated SSH key never replaces a droplet (machines.rebuild does)
        { ...parent, ...machineOptions(plan, config.machines, ["image", "sshKeys"]) },
      );
      return { plan, droplet, hostKey };
    });

    this.firewalls = this.createFirewalls(
      name,
      config,
      doConfig.adminCidrs,
      tagName,
      [...tags.values()],
      droplets.map((d) => d.droplet),
    );

    if (doConfig.project) {
      new digitalocean.Project(
        `${name}-project`,
        { name: doConfig.project, purpose: "Kubernetes cluster", resources: droplets.map((d) => d.droplet.dropletUrn) },
        parent,
      );
    }

    const bastion = bastionPinner(name, args.sshPrivateKey, this)(config.ssh.bastion);
    this.nodes = droplets.map(({ plan, droplet, hostKey }) => ({
      name: plan.name,
      roles: plan.roles,
      privateIp: droplet.ipv4AddressPrivate,
      publicIp: droplet.ipv4Address,
      connection: sshConnection(bastion ? droplet.ipv4AddressPrivate : droplet.ipv4Address, {
        ...config.ssh,
        privateKey: args.sshPrivateKey,
        hostKey: openSshPublicKey(hostKey),
        bastion,
      }),
      ready: [droplet, ...this.firewalls],
    }));
    this.registerOutputs({ vpcId: this.vpc.id, nodeNames: this.nodes.map((n) => n.name) });
  }

  /** One firewall per target tag, carrying the inbound rules that open ports on that target. */
  private createFirewalls(
    name: string,
    config: ClusterConfig,
    adminCidrs: string[],
    tagName: (t: Target) => string,
    tags: digitalocean.Tag[],
    droplets: digitalocean.Droplet[],
  ): digitalocean.Firewall[] {
    const rules = firewallRules(config, adminCidrs);
    const byTarget = new Map<Target, typeof rules>();
    for (const rule of rules) byTarget.set(rule.to, [...(byTarget.get(rule.to) ?? []), rule]);
    return [...byTarget.entries()].map(
      ([target, targetRules]) =>
        new digitalocean.Firewall(
          `${name}-fw-${target}`,
          {
            name: `${tagName(target)}-fw`,
            tags: [tagName(target)],
            inboundRules: targetRules.map((rule) => ({
              protocol: rule.protocol,
              portRange: rule.ports,
              sourceAddresses: rule.fromCidrs.length ? rule.fromCidrs : undefined,
              sourceTags: rule.fromRoles.length ? rule.fromRoles.map(tagName) : undefined,
            })),
            outboundRules: [
              { protocol: "tcp", portRange: "1-65535", destinationAddresses: EVERYWHERE },
              { protocol: "udp", portRange: "1-65535", destinationAddresses: EVERYWHERE },
              { protocol: "icmp", destinationAddresses: EVERYWHERE },
            ],
          },
          { parent: this, dependsOn: [...tags, ...droplets] },
        ),
    );
  }
}
