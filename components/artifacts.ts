// Air-gapped artifacts: copies local files (binaries, image tars) to a node's
// /opt/kubeadm-ha/artifacts before the scripts that install them run. With
// `artifacts.source: release` nothing is copied and the scripts download instead.

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { ArtifactsConfig } from "../config/types";
import type { ClusterNode } from "../providers/node";
import { HOST_PATHS } from "./hostLayout";
import { cachedDigest, digestCachePath, loadDigestCache, saveDigestCache, type DigestCache } from "./fileDigest";

export interface LocalArtifact {
  /** absolute path on the machine running Pulumi */
  source: string;
  /** path under HOST_PATHS.artifactsDir, e.g. "bin/kubelet" */
  target: string;
}

/** The local binaries named, as found under artifacts.dir/bin; a clear error names any missing one. */
export function localBinaries(artifacts: ArtifactsConfig, names: string[]): LocalArtifact[] {
  if (artifacts.source !== "local" || !artifacts.dir) return [];
  return names.map((name) => {
    const source = path.join(artifacts.dir!, "bin", name);
    if (!fs.existsSync(source)) {
      throw new Error(
        `kubeadm-ha:artifacts.dir: ${source} is missing (fix: put the ${name} binary there, or use artifacts.source: release)`,
      );
    }
    return { source, target: `bin/${name}` };
  });
}

/** Image tars imported on every Kubernetes node: artifacts.images, or every *.tar in dir/images. */
export function localImages(artifacts: ArtifactsConfig): LocalArtifact[] {
  if (artifacts.source !== "local" || !artifacts.dir) return [];
  const dir = path.join(artifacts.dir, "images");
  const names =
    artifacts.images.length > 0
      ? artifacts.images
      : fs.existsSync(dir)
        ? fs
            .readdirSync(dir)
            .filter((f) => f.endsWith(".tar"))
            .sort()
        : [];
  return names.map((name) => {
    const source = path.isAbsolute(name) ? name : path.join(dir, name);
    if (!fs.existsSync(source)) {
      throw new Error(`kubeadm-ha:artifacts.images: ${source} is missing (fix: build or copy the image tar there)`);
    }
    return { source, target: `images/${path.basename(source)}` };
  });
}

let cache: DigestCache | undefined;

function digestOf(file: string): string {
  const cacheFile = digestCachePath();
  cache ??= loadDigestCache(cacheFile);
  const digest = cachedDigest(file, cache);
  saveDigestCache(cacheFile, cache);
  return digest;
}

/**
 * The file as a Pulumi asset that carries its sha256. The engine takes an asset's `hash` when one is
 * sent (the state records the same field) and otherwise reads the whole file again for every
 * resource that copies it: the same binaries and image tars on every node, about 2 GB of reading
 * on each no-op `up` of five nodes. The Node SDK sends every own key of an asset object, so the
 * remembered digest goes along; an SDK that stopped sending it would only make the engine read the
 * files again (components/artifacts.test.ts checks what is sent).
 */
export function hashedFileAsset(file: string): pulumi.asset.FileAsset {
  const asset = new pulumi.asset.FileAsset(file);
  Object.defineProperty(asset, "hash", { value: digestOf(file), enumerable: true });
  return asset;
}

/**
 * sha256 of the artifacts' contents, for a step's inputs: a rebuilt binary or image tar changes
 * it, so the step that installs them runs again. Each file's digest is remembered across runs
 * (components/fileDigest.ts) while the file is unchanged.
 */
export function artifactsDigest(items: LocalArtifact[]): string {
  const hash = crypto.createHash("sha256");
  for (const item of items) hash.update(`${item.target}=${digestOf(item.source)}\n`);
  return hash.digest("hex");
}

export function copyArtifacts(
  name: string,
  node: ClusterNode,
  items: LocalArtifact[],
  opts: pulumi.CustomResourceOptions,
): command.remote.CopyToRemote[] {
  return items.map(
    (item) =>
      new command.remote.CopyToRemote(
        `${name}-${item.target.replace(/[^A-Za-z0-9.-]/g, "-")}`,
        {
          connection: node.connection,
          source: hashedFileAsset(item.source),
          remotePath: `${HOST_PATHS.artifactsDir}/${item.target}`,
          // A copy runs again only when its file changed, not when the connection did. A host given
          // back reinstalled (a new host key) or a replaced VM (a new address) has none of it: copy anew.
          triggers: [node.connection.host, node.connection.hostKey ?? ""],
        },
        opts,
      ),
  );
}

/** image tars only control planes run (kubeadm's names: kube-apiserver_v1.34.1.tar, ...) */
const CONTROL_PLANE_IMAGES = /^kube-(apiserver|controller-manager|scheduler)[_:-]/;

/**
 * The image tars a node gets: the control-plane images only on control planes (on a worker they
 * would be copied and imported for nothing, the largest of the set); every other image everywhere.
 */
export function imagesForRoles(images: LocalArtifact[], roles: readonly string[]): LocalArtifact[] {
  if (roles.includes("control-plane")) return images;
  return images.filter((i) => !CONTROL_PLANE_IMAGES.test(i.target.split("/").pop() ?? ""));
}
