// The cluster's security defaults (`hardening`): each is on unless the stack turns it off, and a
// stack that turns one off is told so on every run (hardeningWarnings), never silently.

import type { Reader } from "../reader";
import type { HardeningConfig } from "../types";

export const HARDENING_SWITCHES = ["kubeletServingCerts", "secretsEncryption", "auditLog", "anonymousAuthHealthOnly"] as const;
const HARDENING_KEYS = [...HARDENING_SWITCHES, "auditLogMaxAgeDays", "auditLogMaxBackups", "auditLogMaxSizeMb"];

/** What each switch protects, for the warning a stack gets when it turns one off. */
const WHAT_OFF_MEANS: Record<(typeof HARDENING_SWITCHES)[number], string> = {
  kubeletServingCerts: "kubelets serve self-signed certificates and the apiserver does not verify them",
  secretsEncryption: "Secrets are stored in etcd unencrypted",
  auditLog: "the apiserver keeps no audit log",
  anonymousAuthHealthOnly: "anonymous requests reach every endpoint RBAC lets system:anonymous see",
};

/**
 * The first minor with AnonymousAuthConfigurableEndpoints on by default (beta in 1.32, GA in
 * 1.34): 1.31 has it alpha only, behind a feature gate kubeadm-ha does not set.
 */
const ANONYMOUS_CONDITIONS_MINOR = 32;

export function readHardening(r: Reader, value: unknown, kubernetesVersion: string): HardeningConfig {
  const key = "hardening";
  const obj = r.object(value, key);
  r.allowKeys(obj, key, HARDENING_KEYS);
  const hardening: HardeningConfig = {
    kubeletServingCerts: r.bool(obj.kubeletServingCerts, `${key}.kubeletServingCerts`, true),
    secretsEncryption: r.bool(obj.secretsEncryption, `${key}.secretsEncryption`, true),
    auditLog: r.bool(obj.auditLog, `${key}.auditLog`, true),
    anonymousAuthHealthOnly: r.bool(obj.anonymousAuthHealthOnly, `${key}.anonymousAuthHealthOnly`, true),
    auditLogMaxAgeDays: r.int(obj.auditLogMaxAgeDays, `${key}.auditLogMaxAgeDays`, 7, 1, 3650),
    auditLogMaxBackups: r.int(obj.auditLogMaxBackups, `${key}.auditLogMaxBackups`, 5, 1, 1000),
    auditLogMaxSizeMb: r.int(obj.auditLogMaxSizeMb, `${key}.auditLogMaxSizeMb`, 100, 1, 100000),
  };
  const minor = Number(/^1\.(\d+)\./.exec(kubernetesVersion)?.[1]);
  if (hardening.anonymousAuthHealthOnly && minor < ANONYMOUS_CONDITIONS_MINOR) {
    r.fail(
      `${key}.anonymousAuthHealthOnly`,
      `needs Kubernetes 1.${ANONYMOUS_CONDITIONS_MINOR}+ (AnonymousAuthConfigurableEndpoints), kubernetesVersion is ${kubernetesVersion}`,
      `set ${key}.anonymousAuthHealthOnly: false, or use kubernetesVersion 1.${ANONYMOUS_CONDITIONS_MINOR} or newer`,
    );
  }
  return hardening;
}

/** One warning per security default the stack turned off, naming its key (pure). */
export function hardeningWarnings(hardening: HardeningConfig): string[] {
  return HARDENING_SWITCHES.filter((name) => !hardening[name]).map(
    (name) => `kubeadm-ha:hardening.${name} is false: ${WHAT_OFF_MEANS[name]} (README, "Security defaults")`,
  );
}
