// Kubernetes version changes on a running cluster: kubeadm upgrades one minor at a time (any patch
// of the next minor, or a later patch of the same one) and never downgrades. The version the
// cluster runs comes from the stack's previous deployment (its `kubernetesVersion` output); this
// file says whether the change is an upgrade, and refuses the ones kubeadm cannot make with the
// path to take instead.

import { ConfigError } from "./reader";

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

export function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export type UpgradeStep = { kind: "none" } | { kind: "upgrade"; from: string; to: string; minor: boolean };

/**
 * What changing the cluster from `running` to `target` means. `running` undefined: nothing runs
 * yet (a new stack, or one deployed before the output existed), so nothing is upgraded.
 * Throws a ConfigError (key kubernetesVersion) for a downgrade or a skipped minor.
 */
export function upgradeStep(running: string | undefined, target: string): UpgradeStep {
  if (running === undefined || running === "") return { kind: "none" };
  const from = parseVersion(running);
  const to = parseVersion(target);
  if (!from || !to) return { kind: "none" };
  const order = compare(from, to);
  if (order === 0) return { kind: "none" };
  const fromText = `${from.major}.${from.minor}.${from.patch}`;
  const toText = `${to.major}.${to.minor}.${to.patch}`;
  if (order > 0) {
    throw new ConfigError([
      {
        key: "kubernetesVersion",
        message: `the cluster runs ${fromText}; ${toText} would be a downgrade, which kubeadm does not do`,
        fix: `set kubernetesVersion back to ${fromText} (a downgrade means a new cluster and an etcd restore: README, "Day 2")`,
      },
    ]);
  }
  if (to.major !== from.major || to.minor > from.minor + 1) {
    const path: string[] = [];
    for (let minor = from.minor + 1; minor < to.minor; minor++) path.push(`${to.major}.${minor}.x`);
    throw new ConfigError([
      {
        key: "kubernetesVersion",
        message: `the cluster runs ${fromText}; kubeadm upgrades one minor version at a time, and ${toText} skips ${path.join(", ")}`,
        fix: `upgrade through each minor, one \`pulumi up\` each: ${[fromText, ...path, toText].join(" -> ")} (pick the newest patch of each)`,
      },
    ]);
  }
  return { kind: "upgrade", from: fromText, to: toText, minor: to.minor !== from.minor };
}

/** The ordered plan, as the preview prints it (pure: names only). */
export function describeUpgrade(
  step: Extract<UpgradeStep, { kind: "upgrade" }>,
  controlPlanes: string[],
  workers: string[],
  workersInParallel: number,
): string[] {
  const lines = [
    `Kubernetes ${step.from} -> ${step.to}, in this order:`,
    `  1. an etcd snapshot (on the first etcd member, kept with the others)`,
  ];
  let n = 2;
  controlPlanes.forEach((cp, i) => {
    lines.push(
      i === 0
        ? `  ${n++}. ${cp}: kubeadm upgrade apply v${step.to} (the cluster's config, control-plane manifests, CoreDNS, kube-proxy), then its kubelet`
        : `  ${n++}. ${cp}: kubeadm upgrade node, then its kubelet`,
    );
  });
  for (let i = 0; i < workers.length; i += workersInParallel) {
    const batch = workers.slice(i, i + workersInParallel);
    lines.push(`  ${n++}. ${batch.join(", ")}: cordon and drain, kubeadm upgrade node, kubelet, uncordon`);
  }
  return lines;
}
