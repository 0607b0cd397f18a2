// Shapes of values that several validators check, and the kinds of value a config key may hold.
// Every string key has a kind: a value reaches a file, a unit, a URL or a shell on some machine,
// so each is held to the narrowest shape its use needs (no quotes, spaces, `$`, newlines or NUL
// where none can belong), and refused with what it must look like.

import { isIpv4 } from "../cidr";

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
export const DURATION = /^(\d+)(ms|s|m)$/;

export interface ValueKind {
  /** what the value must be, for the error: "an image reference" */
  what: string;
  test(text: string): boolean;
  /** an example of a good value */
  example: string;
}

function kind(what: string, example: string, test: (text: string) => boolean): ValueKind {
  return { what, example, test };
}
const matches = (re: RegExp) => (text: string) => re.test(text);

/** a DNS name that is not a dotted number (1.2.3.999 is a broken address, not a name) */
export function isDnsName(text: string): boolean {
  return DNS_NAME.test(text) && !/^[0-9.]+$/.test(text);
}

export const KINDS = {
  dnsLabel: kind("a DNS label (lower-case letters, digits and '-', at most 63)", "web", matches(DNS_LABEL)),
  dnsName: kind("a DNS name", "apps.example.com", isDnsName),
  host: kind("an IPv4 address or a DNS name", "192.0.2.10", (t) => isIpv4(t) || isDnsName(t)),
  /** registry/path:tag or @sha256:digest, lower-case path components as the OCI distribution spec has them */
  image: kind(
    "an image reference (registry/name:tag or @sha256:digest)",
    "docker.io/library/nginx:1.29.1-alpine",
    matches(
      /^(?=.{1,255}$)[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
    ),
  ),
  /** an image repository prefix without tag (imageRepository) */
  repository: kind(
    "a registry path (registry[:port]/path, no tag)",
    "registry.k8s.io",
    matches(/^(?=.{1,255}$)[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/),
  ),
  url: kind(
    "an http(s) URL without spaces or quotes",
    "https://dl.k8s.io/release",
    matches(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~%+/-]*)?$/),
  ),
  version: kind("a version X.Y.Z without leading zeros", "3.5.21", matches(/^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/)),
  /** a Linux network interface name (IFNAMSIZ: at most 15 characters, no '/' or spaces) */
  interface: kind(
    "a network interface name (letters, digits, '.', '_', '-'; at most 15)",
    "eth0",
    matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/),
  ),
  user: kind("a Unix user name", "root", matches(/^[a-z_][a-z0-9_-]{0,31}$/)),
  /** a file on the machine running Pulumi */
  path: kind(
    "a file path without quotes, '$', spaces or control characters",
    "lab/.work/ssh/id_ed25519",
    matches(/^[A-Za-z0-9_./~+@:-]{1,4096}$/),
  ),
  sshPublicKey: kind(
    "an OpenSSH public key line (type, base64, optional comment)",
    "ssh-ed25519 AAAAC3Nza... ops@example",
    matches(
      /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._+-]{1,100})?$/,
    ),
  ),
  /** a kubeadm preflight check name, or "all" */
  /** part of a file name on the hosts (etcdSnapshots.take) */
  label: kind("a label (letters, digits, '.', '_', '-'; at most 63)", "before-upgrade", matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/)),
  preflightCheck: kind("a kubeadm preflight check name", "SystemVerification", matches(/^[A-Za-z][A-Za-z0-9-]{0,63}$/)),
  /** a cloud API identifier: region, size, image slug, instance type, AMI, project */
  cloudId: kind("a cloud identifier (letters, digits, '.', '_', '-')", "fra1", matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/)),
} as const;
