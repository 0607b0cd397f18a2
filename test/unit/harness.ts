// Shared mock harness: records every resource the program registers, answers invokes, and
// resolves Outputs, so tests can assert on the resource graph without any engine.

import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  /** set for resources registered with a parent (components and children) */
  urnParent?: string;
}

export const recorded: Recorded[] = [];

let counter = 0;

/** Fake cloud outputs, so addresses and ids flow like the real providers' would. */
function fakeState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  counter += 1;
  switch (type) {
    case "digitalocean:index/droplet:Droplet":
      return { ...inputs, ipv4Address: `203.0.113.${counter % 250}`, ipv4AddressPrivate: `10.10.0.${counter % 250}`, dropletUrn: `do:droplet:${name}` };
    case "aws:ec2/instance:Instance":
      return { ...inputs, privateIp: `10.0.${counter % 8}.${counter % 250}`, publicIp: `198.51.100.${counter % 250}` };
    case "digitalocean:index/sshKey:SshKey":
      return { ...inputs, fingerprint: "aa:bb:cc" };
    case "aws:ec2/keyPair:KeyPair":
      return { ...inputs, keyName: inputs.keyName };
    case "command:remote:Command":
    case "command:local:Command":
      return { ...inputs, stdout: "", stderr: "" };
    default:
      return inputs;
  }
}

export function setupMocks(stack = "test"): void {
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: fakeState(args.type, args.name, args.inputs) };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        switch (args.token) {
          case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: ["eu-central-1a", "eu-central-1b", "eu-central-1c"], zoneIds: ["a", "b", "c"] };
          case "aws:ec2/getAmi:getAmi":
            return { id: "ami-0123456789abcdef0", name: "ubuntu-noble-24.04" };
          default:
            return args.inputs;
        }
      },
    },
    "kubeadm-ha",
    stack,
    false,
  );
}

export function resetRecorded(): void {
  recorded.length = 0;
}

export function ofType(type: string): Recorded[] {
  return recorded.filter((r) => r.type === type);
}

export function resolve<T>(input: pulumi.Input<T>): Promise<T> {
  return new Promise((ok) => pulumi.output(input).apply((v) => ok(v as T)));
}

/**
 * Lets the runtime finish registering everything a constructor started: waits until no new
 * resource has been recorded for 10 consecutive short ticks (bounded to ~4 s).
 */
export async function settle(): Promise<void> {
  let quiet = 0;
  let last = -1;
  for (let i = 0; i < 400 && quiet < 10; i++) {
    await new Promise((r) => setTimeout(r, 10));
    quiet = recorded.length === last ? quiet + 1 : 0;
    last = recorded.length;
  }
}

export function isSecret(value: pulumi.Input<unknown>): Promise<boolean> {
  return pulumi.isSecret(pulumi.output(value) as pulumi.Output<unknown>);
}
