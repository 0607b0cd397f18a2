// Cloud sections (digitalocean, aws): regions, sizes, networks and who may reach the admin ports.

import { parseCidr } from "../cidr";
import type { Reader } from "../reader";
import type { AwsConfig, DigitalOceanConfig } from "../types";
import { KINDS } from "./patterns";

export function readAdminCidrs(r: Reader, value: unknown, key: string): string[] {
  if (value === undefined) {
    r.fail(
      key,
      "is required: the cloud firewalls open SSH (22) and the Kubernetes API only to these ranges, and there is no open default",
      `set ${key} to your operators' ranges, e.g. [203.0.113.0/24] (0.0.0.0/0 only if you mean the whole internet)`,
    );
    return [];
  }
  const list = r.list(value, key).map((v, i) => r.string(v, `${key}[${i}]`) ?? "");
  list.forEach((cidr, i) => {
    if (!parseCidr(cidr)) r.fail(`${key}[${i}]`, `'${cidr}' is not an IPv4 CIDR`, "e.g. 203.0.113.0/24");
  });
  return list;
}

/** A cloud section's keys, and its region, which every cloud requires. */
function readCloudSection(r: Reader, value: unknown, section: string, keys: readonly string[], regionExample: string) {
  const obj = r.object(value, section);
  r.allowKeys(obj, section, ["region", ...keys]);
  const region = r.text(obj.region, `${section}.region`, KINDS.cloudId) ?? "";
  if (!region) r.fail(`${section}.region`, "is required", `set ${section}.region, e.g. ${regionExample}`);
  return { obj, region };
}

export function readDigitalOcean(r: Reader, value: unknown): DigitalOceanConfig {
  const keys = ["size", "image", "vpcCidr", "project", "adminCidrs"];
  const { obj, region } = readCloudSection(r, value, "digitalocean", keys, "fra1 or nyc3");
  return {
    region,
    size: r.text(obj.size, "digitalocean.size", KINDS.cloudId, "s-2vcpu-4gb"),
    image: r.text(obj.image, "digitalocean.image", KINDS.cloudId, "ubuntu-24-04-x64"),
    vpcCidr: r.string(obj.vpcCidr, "digitalocean.vpcCidr", "10.10.0.0/20"),
    project: r.text(obj.project, "digitalocean.project", KINDS.cloudId),
    adminCidrs: readAdminCidrs(r, obj.adminCidrs, "digitalocean.adminCidrs"),
  };
}

export function readAws(r: Reader, value: unknown): AwsConfig {
  const { obj, region } = readCloudSection(r, value, "aws", ["instanceType", "ami", "azCount", "vpcCidr", "adminCidrs"], "eu-central-1");
  return {
    region,
    instanceType: r.text(obj.instanceType, "aws.instanceType", KINDS.cloudId, "t3.medium"),
    ami: r.text(obj.ami, "aws.ami", KINDS.cloudId),
    azCount: r.int(obj.azCount, "aws.azCount", 3, 1, 6),
    vpcCidr: r.string(obj.vpcCidr, "aws.vpcCidr", "10.0.0.0/16"),
    adminCidrs: readAdminCidrs(r, obj.adminCidrs, "aws.adminCidrs"),
  };
}
