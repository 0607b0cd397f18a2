// What the cluster runs: the Kubernetes version, where binaries and images come from, leader
// election timing, certificate lifetimes and kubeadm preflight settings.

import type { Reader } from "../reader";
import {
  ARTIFACT_SOURCES,
  ArtifactsConfig,
  EtcdSnapshotsConfig,
  LAB_PROVEN_KUBERNETES_MINORS,
  LeaderElectionConfig,
  PkiConfig,
  SUPPORTED_KUBERNETES_MINORS,
  UpgradeConfig,
} from "../types";
import { DURATION, KINDS } from "./patterns";

export function readKubernetesVersion(r: Reader, value: unknown): string {
  const text = r.string(value, "kubernetesVersion", "1.34.1");
  const match = /^v?1\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/.exec(text);
  const minors: readonly number[] = SUPPORTED_KUBERNETES_MINORS;
  if (!match || !minors.includes(Number(match[1]))) {
    r.fail(
      "kubernetesVersion",
      `'${text}' is not supported`,
      `use a full version of 1.${minors[0]} to 1.${minors[minors.length - 1]}, e.g. 1.34.1`,
    );
    return text;
  }
  return text.replace(/^v/, "");
}

/** in artifacts.dir: replaced by the kubernetesVersion (one directory per version) */
export const VERSION_PLACEHOLDER = "{kubernetesVersion}";

/** a supported version the lab has not run end to end: said on every run */
export function kubernetesVersionWarnings(version: string): string[] {
  const minor = Number(version.split(".")[1]);
  const proven: readonly number[] = LAB_PROVEN_KUBERNETES_MINORS;
  if (proven.includes(minor)) return [];
  return [
    `kubernetesVersion ${version}: kubeadm-ha's lab drills run 1.${proven.join(" and 1.")}; 1.${minor} is accepted (the same kubeadm v1beta4 configuration) but not proven end to end by this release`,
  ];
}

export function readArtifacts(r: Reader, value: unknown): ArtifactsConfig {
  const obj = r.object(value, "artifacts");
  r.allowKeys(obj, "artifacts", ["source", "dir", "kubernetesBaseUrl", "etcdVersion", "etcdBaseUrl", "images", "imageRepository"]);
  const source = r.oneOf(obj.source, "artifacts.source", ARTIFACT_SOURCES, "release");
  // (`{kubernetesVersion}` in it names each version's directory: clusterSpec's artifactsFor)
  const checked = typeof obj.dir === "string" ? obj.dir.split(VERSION_PLACEHOLDER).join("1.0.0") : obj.dir;
  const dir = r.text(checked, "artifacts.dir", KINDS.path) !== undefined ? (obj.dir as string) : undefined;
  if (source === "local" && !dir) {
    r.fail(
      "artifacts.dir",
      "artifacts.source: local needs a directory",
      "set artifacts.dir to the folder holding bin/ and images/ (relative to the project, or absolute)",
    );
  }
  const images = r.list(obj.images, "artifacts.images").map((item, i) => r.text(item, `artifacts.images[${i}]`, KINDS.path) ?? "");
  return {
    source,
    dir,
    kubernetesBaseUrl: r.text(obj.kubernetesBaseUrl, "artifacts.kubernetesBaseUrl", KINDS.url, "https://dl.k8s.io/release"),
    etcdVersion: r.text(obj.etcdVersion, "artifacts.etcdVersion", KINDS.version, "3.5.21"),
    etcdBaseUrl: r.text(obj.etcdBaseUrl, "artifacts.etcdBaseUrl", KINDS.url, "https://github.com/etcd-io/etcd/releases/download"),
    images,
    imageRepository: r.text(obj.imageRepository, "artifacts.imageRepository", KINDS.repository, "registry.k8s.io"),
  };
}

export function durationMs(r: Reader, value: unknown, key: string, fallback: string): [string, number] {
  const text = r.string(value, key, fallback);
  const match = DURATION.exec(text);
  if (!match) {
    r.fail(key, `'${text}' is not a duration`, "write it like 15s, 500ms or 1m");
    return [fallback, durationMs(r, fallback, key, fallback)[1]];
  }
  const scale = { ms: 1, s: 1000, m: 60000 }[match[2] as "ms" | "s" | "m"];
  return [text, Number(match[1]) * scale];
}

export function readLeaderElection(r: Reader, value: unknown): LeaderElectionConfig {
  const obj = r.object(value, "leaderElection");
  r.allowKeys(obj, "leaderElection", ["leaseDuration", "renewDeadline", "retryPeriod"]);
  const [leaseDuration, lease] = durationMs(r, obj.leaseDuration, "leaderElection.leaseDuration", "15s");
  const [renewDeadline, renew] = durationMs(r, obj.renewDeadline, "leaderElection.renewDeadline", "10s");
  const [retryPeriod, retry] = durationMs(r, obj.retryPeriod, "leaderElection.retryPeriod", "2s");
  // The same ordering kube-controller-manager enforces at start-up (retry is jittered by 1.2).
  if (!(lease > renew && renew > retry * 1.2)) {
    r.fail(
      "leaderElection",
      `needs leaseDuration > renewDeadline > 1.2 x retryPeriod (got ${leaseDuration}, ${renewDeadline}, ${retryPeriod})`,
      "e.g. 15s, 10s, 2s",
    );
  }
  return { leaseDuration, renewDeadline, retryPeriod };
}

export function readPki(r: Reader, value: unknown): PkiConfig {
  const obj = r.object(value, "pki");
  r.allowKeys(obj, "pki", ["validityHours", "earlyRenewalHours"]);
  const validityHours = r.int(obj.validityHours, "pki.validityHours", 8760, 24);
  const earlyRenewalHours = r.int(obj.earlyRenewalHours, "pki.earlyRenewalHours", 720, 0);
  return { validityHours, earlyRenewalHours };
}

/**
 * A renewal window as long as the certificates live is allowed (it is how a renewal is rehearsed),
 * but every `pulumi up` then renews every certificate and restarts the control planes one by one:
 * said on every run (pure).
 */
export function pkiWarnings(pki: PkiConfig): string[] {
  if (pki.earlyRenewalHours < pki.validityHours) return [];
  return [
    `pki.earlyRenewalHours (${pki.earlyRenewalHours}) is not shorter than pki.validityHours (${pki.validityHours}): ` +
      "every pulumi up renews every certificate and restarts each control plane's components; " +
      "for day-to-day use renew a few weeks before expiry, e.g. pki.earlyRenewalHours: 720",
  ];
}

export function readEtcdSnapshots(r: Reader, value: unknown): EtcdSnapshotsConfig {
  const obj = r.object(value, "etcdSnapshots");
  r.allowKeys(obj, "etcdSnapshots", ["keep", "take", "copyTo"]);
  const keep = r.int(obj.keep, "etcdSnapshots.keep", 5, 1);
  if (keep > 100)
    r.fail(
      "etcdSnapshots.keep",
      `(${keep}) keeps more snapshots than a host's disk should hold`,
      "keep at most 100; copy older ones off the host",
    );
  const copyTo = r.text(obj.copyTo, "etcdSnapshots.copyTo", KINDS.path);
  return { keep, take: r.text(obj.take, "etcdSnapshots.take", KINDS.label) ?? "", ...(copyTo ? { copyTo } : {}) };
}

export function readUpgrade(r: Reader, value: unknown): UpgradeConfig {
  const obj = r.object(value, "upgrade");
  r.allowKeys(obj, "upgrade", ["workersInParallel", "drainTimeout"]);
  const [drainTimeout] = durationMs(r, obj.drainTimeout, "upgrade.drainTimeout", "300s");
  return { workersInParallel: r.int(obj.workersInParallel, "upgrade.workersInParallel", 1, 1, 50), drainTimeout };
}

export function readPreflight(r: Reader, value: unknown): string[] {
  if (value === undefined) return ["SystemVerification"];
  return r.list(value, "ignorePreflightErrors").map((item, i) => r.text(item, `ignorePreflightErrors[${i}]`, KINDS.preflightCheck) ?? "");
}
