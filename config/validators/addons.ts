// Cluster add-ons (`addons`): each on by default, each switchable, each image overridable (an
// air-gapped stack points it at the image its nodes import).

import type { Reader } from "../reader";
import type { AddonsConfig } from "../types";
import { KINDS } from "./patterns";

export const METRICS_SERVER_IMAGE = "registry.k8s.io/metrics-server/metrics-server:v0.8.0";

export function readAddons(r: Reader, value: unknown): AddonsConfig {
  const obj = r.object(value, "addons");
  r.allowKeys(obj, "addons", ["metricsServer"]);
  const ms = r.object(obj.metricsServer, "addons.metricsServer");
  r.allowKeys(ms, "addons.metricsServer", ["enabled", "image"]);
  return {
    metricsServer: {
      enabled: r.bool(ms.enabled, "addons.metricsServer.enabled", true),
      image: r.text(ms.image, "addons.metricsServer.image", KINDS.image, METRICS_SERVER_IMAGE),
    },
  };
}
