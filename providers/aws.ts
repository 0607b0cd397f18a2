// AWS EC2 without ELB or NAT gateway: a VPC, one public subnet per AZ over `aws.azCount` AZs, an
// internet gateway and its route, a security group per role with the rules of firewall.ts, a key
// pair, and one instance per planned node from an AMI lookup (newest Ubuntu LTS by default).
// Instances spread round-robin over the AZs, so a 3-control-plane cluster survives an AZ loss.

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { machineOptions } from "./machines";
import { planNodes } from "../config/plan";
import { subnet, parseCidr } from "../config/cidr";
import type { ClusterConfig } from "../config/types";
import { firewallRules, Target } from "./firewall";
import { bastionPinner, cloudHostKey, cloudInitHostKeys, openSshPublicKey } from "./hostKeys";
import { ClusterNode, sshConnection } from "./node";

/** Canonical's account; the AMI name pattern picks Ubuntu 24.04 LTS on amd64. */
export const UBUNTU_OWNER = "099720109477";
export const UBUNTU_AMI_PATTERN = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*";

export interface AwsArgs {
  config: ClusterConfig;
  sshPrivateKey: pulumi.Input<string>;
}

export class AwsInfrastructure extends pulumi.ComponentResource {
  readonly nodes: ClusterNode[];
  readonly vpc: aws.ec2.Vpc;
  readonly subnets: aws.ec2.Subnet[];
  readonly securityGroups: Map<Target, aws.ec2.SecurityGroup>;

  constructor(name: string, args: AwsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubeadm-ha:providers:Aws", name, {}, opts);
    const { config } = args;
    const awsConfig = config.aws;
    const vpcBlock = awsConfig ? parseCidr(awsConfig.vpcCidr) : undefined;
    if (!awsConfig || !vpcBlock || !config.ssh.publicKey) throw new Error("AwsInfrastructure needs a validated aws config");
    const provider = new aws.Provider(`${name}-provider`, { region: awsConfig.region as aws.Region }, { parent: this });
    const opt = { parent: this, provider };
    const cluster = config.clusterName;
    const tags = (extra: Record<string, string> = {}) => ({ "kubeadm-ha/cluster": cluster, ...extra });

    this.vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock: awsConfig.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags({ Name: `${cluster}-vpc` }) },
      opt,
    );
    const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id, tags: tags() }, opt);
    const routes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: this.vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }], tags: tags() },
      opt,
    );
    const zones = aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this, provider });
    // Split the VPC into 8 equal blocks (room for 8 AZs); subnet i takes block i.
    this.subnets = Array.from({ length: awsConfig.azCount }, (_, i) => {
      const sn = new aws.ec2.Subnet(
        `${name}-subnet-${i + 1}`,
        {
          vpcId: this.vpc.id,
          cidrBlock: subnet(vpcBlock, 3, i),
          availabilityZone: zones.names.apply((names) => {
            if (names.length <= i)
              throw new Error(`kubeadm-ha:aws.azCount: region ${awsConfig.region} has only ${names.length} AZs (fix: lower aws.azCount)`);
            return names[i];
          }),
          mapPublicIpOnLaunch: true,
          tags: tags({ Name: `${cluster}-${i + 1}` }),
        },
        opt,
      );
      new aws.ec2.RouteTableAssociation(`${name}-subnet-${i + 1}-public`, { subnetId: sn.id, routeTableId: routes.id }, opt);
      return sn;
    });

    this.securityGroups = this.createSecurityGroups(name, config, awsConfig.adminCidrs, opt, tags);
    const key = new aws.ec2.KeyPair(`${name}-key`, { keyName: `${cluster}-admin`, publicKey: config.ssh.publicKey, tags: tags() }, opt);
    const ami =
      awsConfig.ami ??
      aws.ec2.getAmiOutput(
        {
          owners: [UBUNTU_OWNER],
          mostRecent: true,
          filters: [
            { name: "name", values: [UBUNTU_AMI_PATTERN] },
            { name: "architecture", values: ["x86_64"] },
          ],
        },
        { parent: this, provider },
      ).id;

    const bastion = bastionPinner(name, args.sshPrivateKey, this)(config.ssh.bastion);
    this.nodes = planNodes(config).map((plan, i) => {
      const hostKey = cloudHostKey(`${name}-${plan.name}-host-key`, this);
      const groups = ["all" as Target, ...plan.roles].map((t) => this.securityGroups.get(t)!.id);
      const instance = new aws.ec2.Instance(
        `${name}-${plan.name}`,
        {
          ami,
          instanceType: awsConfig.instanceType,
          subnetId: this.subnets[i % this.subnets.length].id,
          vpcSecurityGroupIds: groups,
          keyName: key.keyName,
          // routed pod traffic (cni: bridge) carries pod source addresses
          sourceDestCheck: false,
          rootBlockDevice: { volumeSize: 40, volumeType: "gp3" },
          // the host key the program made and pins: no first connection is trusted blindly
          userData: cloudInitHostKeys(hostKey),
          // IMDSv2 only, one hop: pods (a hop further) cannot read the user data holding that key
          metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" },
          tags: tags({ Name: plan.name, "kubeadm-ha/roles": plan.roles.join(".") }),
        },
        // a newer AMI from the lookup or a rotated key pair never replaces a VM (machines.rebuild does)
        { ...opt, ...machineOptions(plan, config.machines, ["ami", "keyName"]) },
      );
      return {
        name: plan.name,
        roles: plan.roles,
        privateIp: instance.privateIp,
        publicIp: instance.publicIp,
        connection: sshConnection(bastion ? instance.privateIp : instance.publicIp, {
          ...config.ssh,
          privateKey: args.sshPrivateKey,
          hostKey: openSshPublicKey(hostKey),
          bastion,
        }),
        ready: [instance],
      };
    });
    this.registerOutputs({ vpcId: this.vpc.id, nodeNames: this.nodes.map((n) => n.name) });
  }

  /** A group per target; each rule becomes ingress rules on the target's group. */
  private createSecurityGroups(
    name: string,
    config: ClusterConfig,
    adminCidrs: string[],
    opt: pulumi.CustomResourceOptions,
    tags: (extra?: Record<string, string>) => Record<string, string>,
  ): Map<Target, aws.ec2.SecurityGroup> {
    const targets: Target[] = ["all", "control-plane", "etcd", "worker", "loadbalancer"];
    const groups = new Map(
      targets.map((t) => [
        t,
        new aws.ec2.SecurityGroup(
          `${name}-sg-${t}`,
          { vpcId: this.vpc.id, description: `kubeadm-ha ${config.clusterName} ${t}`, tags: tags({ Name: `${config.clusterName}-${t}` }) },
          opt,
        ),
      ]),
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-egress`,
      { securityGroupId: groups.get("all")!.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" },
      opt,
    );
    for (const rule of firewallRules(config, adminCidrs)) {
      const r = rule.description.replace(/\s+/g, "-");
      const [fromPort, toPort] = rule.ports.split("-").map(Number);
      const common = {
        securityGroupId: groups.get(rule.to)!.id,
        ipProtocol: rule.protocol,
        fromPort,
        toPort: toPort ?? fromPort,
        description: rule.description,
      };
      rule.fromRoles.forEach(
        (role) =>
          new aws.vpc.SecurityGroupIngressRule(
            `${name}-in-${r}-${role}`,
            { ...common, referencedSecurityGroupId: groups.get(role)!.id },
            opt,
          ),
      );
      rule.fromCidrs.forEach(
        (cidr, c) => new aws.vpc.SecurityGroupIngressRule(`${name}-in-${r}-cidr-${c}`, { ...common, cidrIpv4: cidr }, opt),
      );
    }
    return groups;
  }
}
