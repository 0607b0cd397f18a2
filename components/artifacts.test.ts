import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { hashedFileAsset, imagesForRoles } from "./artifacts";

describe("imagesForRoles", () => {
  const images = [
    "kube-apiserver_v1.34.1.tar",
    "kube-controller-manager_v1.34.1.tar",
    "kube-scheduler_v1.34.1.tar",
    "kube-proxy_v1.34.1.tar",
    "pause_3.10.1.tar",
    "haproxy_lab.tar",
  ].map((f) => ({ source: `/a/images/${f}`, target: `images/${f}` }));

  it("control planes get every image", () => {
    expect(imagesForRoles(images, ["control-plane", "etcd"])).toEqual(images);
    expect(imagesForRoles(images, ["control-plane", "worker"])).toEqual(images);
  });

  it("other nodes get all but the control-plane images (kube-proxy stays)", () => {
    expect(imagesForRoles(images, ["worker", "loadbalancer"]).map((i) => i.target)).toEqual([
      "images/kube-proxy_v1.34.1.tar",
      "images/pause_3.10.1.tar",
      "images/haproxy_lab.tar",
    ]);
  });
});

describe("hashedFileAsset", () => {
  it("is sent to the engine with the file's sha256, so the engine does not read the file again", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kha-asset-"));
    process.env.KHA_DIGEST_CACHE = path.join(dir, "digests.json");
    try {
      const file = path.join(dir, "kubelet");
      fs.writeFileSync(file, "kubelet binary");
      const sent = await rpc.serializeProperty("test", hashedFileAsset(file), new Set(), { keepOutputValues: false });
      expect(sent).toMatchObject({
        [rpc.specialSigKey]: rpc.specialAssetSig,
        path: file,
        hash: crypto.createHash("sha256").update("kubelet binary").digest("hex"),
      });
    } finally {
      delete process.env.KHA_DIGEST_CACHE;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
