// Shared mock harness: records every resource the program registers, answers invokes, and
// resolves Outputs, so tests can assert on the resource graph without any engine.

import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** A real CA certificate (test/fixtures/ca.crt) so discovery-hash maths runs on real input. */
export const FIXTURE_CA = fs.readFileSync(path.join(__dirname, "..", "fixtures", "ca.crt"), "utf8");
export const FIXTURE_CA_HASH = fs.readFileSync(path.join(__dirname, "..", "fixtures", "ca.crt.discovery-hash"), "utf8").trim();
export const FAKE_TOKEN = "abcdef.0123456789abcdef";

/** Fake private keys carry this marker, so tests can look for key material anywhere. */
export const KEY_MARKER = "FAKE-PRIVATE-KEY-MATERIAL";

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  /** inputs as the mock received them (secrets still wrapped) */
  raw: Record<string, any>;
  /** "urn::id" of the explicit provider, when one was given */
  provider?: string;
}

export const recorded: Recorded[] = [];

let counter = 0;

/** the public key the mocked tls.PrivateKey `name` has (OpenSSH form) */
export function madeHostKey(name: string): string {
  return `ssh-ed25519 ${Buffer.from(`made-${name}`).toString("base64")}`;
}

/** the key a mocked trust-on-first-use scan `name` reports */
export function scannedHostKey(name: string): string {
  return `ssh-ed25519 ${Buffer.from(`scanned-${name}`).toString("base64")}`;
}

/** Fake cloud outputs, so addresses and ids flow like the real providers' would. */
function fakeState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  counter += 1;
  switch (type) {
    // the program's read of its own stack: a new stack, no outputs yet
    case "pulumi:pulumi:StackReference":
      return { ...inputs, outputs: {}, secretOutputNames: [] };
    case "digitalocean:index/droplet:Droplet":
      return {
        ...inputs,
        ipv4Address: `203.0.113.${counter % 250}`,
        ipv4AddressPrivate: `10.10.0.${counter % 250}`,
        dropletUrn: `do:droplet:${name}`,
      };
    case "aws:ec2/instance:Instance":
      return { ...inputs, privateIp: `10.0.${counter % 8}.${counter % 250}`, publicIp: `198.51.100.${counter % 250}` };
    case "digitalocean:index/sshKey:SshKey":
      return { ...inputs, fingerprint: "aa:bb:cc" };
    case "aws:ec2/keyPair:KeyPair":
      return { ...inputs, keyName: inputs.keyName };
    case "command:remote:Command":
      // like the real step: put-files reports its files before the token line
      return {
        ...inputs,
        stdout: name.endsWith("-token") ? `unchanged /opt/kubeadm-ha/scripts/kubeadm-token.sh\n${FAKE_TOKEN}\n` : "",
        stderr: "",
      };
    case "command:local:Command":
      // a trust-on-first-use scan prints the key the host showed
      return { ...inputs, stdout: name.endsWith("-host-key") ? `${scannedHostKey(name)}\n` : "", stderr: "" };
    case "tls:index/privateKey:PrivateKey":
      return {
        ...inputs,
        privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY_MARKER}-${name}\n-----END OPENSSH PRIVATE KEY-----\n`,
        publicKeyOpenssh: `${madeHostKey(name)}\n`,
        privateKeyPem: `-----BEGIN RSA PRIVATE KEY-----\n${KEY_MARKER}-${name}\n-----END RSA PRIVATE KEY-----\n`,
        publicKeyPem: `-----BEGIN PUBLIC KEY-----\npublic-${name}\n-----END PUBLIC KEY-----\n`,
      };
    case "tls:index/selfSignedCert:SelfSignedCert":
      return { ...inputs, certPem: FIXTURE_CA, validityEndTime: "2036-12-01T00:00:00Z" };
    case "tls:index/certRequest:CertRequest":
      return { ...inputs, certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\ncsr-${name}\n-----END CERTIFICATE REQUEST-----\n` };
    case "tls:index/locallySignedCert:LocallySignedCert":
      return {
        ...inputs,
        certPem: `-----BEGIN CERTIFICATE-----\ncert-${name}\n-----END CERTIFICATE-----\n`,
        validityEndTime: "2027-12-01T00:00:00Z",
      };
    default:
      return inputs;
  }
}

export function setupMocks(stack = "test"): void {
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        recorded.push({ type: args.type, name: args.name, inputs: plain(args.inputs), raw: args.inputs, provider: args.provider });
        return { id: `${args.name}-id`, state: fakeState(args.type, args.name, args.inputs) };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        switch (args.token) {
          case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: ["eu-central-1a", "eu-central-1b", "eu-central-1c"], zoneIds: ["a", "b", "c"] };
          case "aws:route53/getZone:getZone":
            return { zoneId: "Z123EXAMPLE", name: args.inputs.name };
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
    // (the program reads its own stack's previous outputs: config/previousDeployment.ts)
    "organization",
  );
  // The mocks' newResource sees no resource options: read protect and ignoreChanges off the
  // registration request the mock monitor receives.
  const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: any) => {
    registeredOptions.set(req.getName(), { protect: Boolean(req.getProtect()), ignoreChanges: req.getIgnorechangesList() });
    registeredDependsOn.set(
      req.getName(),
      req.getDependenciesList().map((urn: string) => urn.split("::").pop()!),
    );
    return register(req, callback);
  };
}

/** per resource name: the options the engine would get */
export const registeredOptions = new Map<string, { protect: boolean; ignoreChanges: string[] }>();
/** per resource name: the names of the resources it waits for */
export const registeredDependsOn = new Map<string, string[]>();

export function resetRecorded(): void {
  recorded.length = 0;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Mocks see secret inputs as signature-wrapped objects; this unwraps them (recursively). */
export function plain(value: any): any {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    if (SECRET_SIG in value) return plain(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** Whether the mock saw this input as a secret. */
export function wasSecret(value: any): boolean {
  return Boolean(value && typeof value === "object" && SECRET_SIG in value);
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
