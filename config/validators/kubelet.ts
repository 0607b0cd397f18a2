// Node-level kubelet settings (`kubelet`): when the kubelet evicts pods and deletes images to keep
// its disks from filling. They reach every node as a kubelet config drop-in
// (render/host.ts renderKubeletSettings), so a change converges on running nodes too: each kubelet
// restarts to read it and its pods keep running.

import type { Reader } from "../reader";
import { closest } from "../reader";
import type { KubeletConfig } from "../types";

/** the eviction signals the kubelet knows (KubeletConfiguration evictionHard) */
export const EVICTION_SIGNALS = [
  "memory.available",
  "nodefs.available",
  "nodefs.inodesFree",
  "imagefs.available",
  "imagefs.inodesFree",
  "containerfs.available",
  "containerfs.inodesFree",
  "pid.available",
] as const;

/** a percentage (0-100, decimals allowed) or a quantity as Kubernetes writes one (100Mi, 1Gi, 500) */
const THRESHOLD = /^(?:(\d{1,3}(?:\.\d+)?)%|\d+(?:\.\d+)?(?:Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?)$/;

/** the kubelet's own defaults: kept explicit so the drop-in says what the node runs */
export const IMAGE_GC_HIGH_DEFAULT = 85;
export const IMAGE_GC_LOW_DEFAULT = 80;

export function readKubelet(r: Reader, value: unknown): KubeletConfig {
  const obj = r.object(value, "kubelet");
  r.allowKeys(obj, "kubelet", ["evictionHard", "imageGCHighThresholdPercent", "imageGCLowThresholdPercent"]);
  const evictionHard: Record<string, string> = {};
  const raw = r.object(obj.evictionHard, "kubelet.evictionHard");
  for (const [signal, threshold] of Object.entries(raw)) {
    const key = `kubelet.evictionHard.${signal}`;
    if (!(EVICTION_SIGNALS as readonly string[]).includes(signal)) {
      const hint = closest(signal, EVICTION_SIGNALS);
      r.fail(key, "unknown eviction signal", hint ? `did you mean '${hint}'?` : `use one of ${EVICTION_SIGNALS.join(", ")}`);
      continue;
    }
    const text = r.string(threshold, key);
    if (text === undefined) continue;
    const m = THRESHOLD.exec(text);
    if (!m || (m[1] !== undefined && Number(m[1]) > 100)) {
      r.fail(key, `${JSON.stringify(text.slice(0, 40))} is not a threshold`, "a percentage of the resource (10%) or a quantity (500Mi)");
      continue;
    }
    evictionHard[signal] = text;
  }
  const high = r.int(obj.imageGCHighThresholdPercent, "kubelet.imageGCHighThresholdPercent", IMAGE_GC_HIGH_DEFAULT, 1, 100);
  const low = r.int(obj.imageGCLowThresholdPercent, "kubelet.imageGCLowThresholdPercent", IMAGE_GC_LOW_DEFAULT, 0, 100);
  if (low >= high) {
    r.fail(
      "kubelet.imageGCLowThresholdPercent",
      `${low} is not below imageGCHighThresholdPercent (${high}): the kubelet deletes images down to the low mark once disk use passes the high one`,
      `set it below ${high}`,
    );
  }
  return { evictionHard, imageGCHighThresholdPercent: high, imageGCLowThresholdPercent: low };
}
