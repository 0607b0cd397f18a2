import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { hashedArchive, imagesForRoles, pruneStages, stageArtifacts } from "./artifacts";

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

describe("hashedArchive", () => {
  it("is sent to the engine with the given hash, so the engine does not read the files again", async () => {
    const sent = await rpc.serializeProperty("test", hashedArchive("/stage/abc/", "f00d"), new Set(), { keepOutputValues: false });
    expect(sent).toMatchObject({ [rpc.specialSigKey]: rpc.specialArchiveSig, path: "/stage/abc/", hash: "f00d" });
  });
});

describe("stageArtifacts", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "kha-stage-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("links every artifact at its target path, in a directory named by the set, the same one each time", () => {
    const kubelet = path.join(dir, "kubelet");
    const tar = path.join(dir, "pause.tar");
    fs.writeFileSync(kubelet, "kubelet binary");
    fs.writeFileSync(tar, "pause image");
    const items = [
      { source: kubelet, target: "bin/kubelet" },
      { source: tar, target: "images/pause.tar" },
    ];
    const root = path.join(dir, "stage");
    const staged = stageArtifacts(items, root);
    expect(fs.readlinkSync(path.join(staged, "bin/kubelet"))).toBe(kubelet);
    expect(fs.readFileSync(path.join(staged, "images/pause.tar"), "utf8")).toBe("pause image");
    expect(stageArtifacts(items, root)).toBe(staged);
    // another set (here: without the image) is another directory, holding only its own files
    const other = stageArtifacts(items.slice(0, 1), root);
    expect(other).not.toBe(staged);
    expect(fs.readdirSync(other)).toEqual(["bin"]);
  });

  it("mends a link that points elsewhere", () => {
    const kubelet = path.join(dir, "kubelet");
    fs.writeFileSync(kubelet, "kubelet binary");
    const items = [{ source: kubelet, target: "bin/kubelet" }];
    const root = path.join(dir, "stage");
    const staged = stageArtifacts(items, root);
    fs.rmSync(path.join(staged, "bin/kubelet"));
    fs.symlinkSync("/nonexistent", path.join(staged, "bin/kubelet"));
    stageArtifacts(items, root);
    expect(fs.readlinkSync(path.join(staged, "bin/kubelet"))).toBe(kubelet);
  });

  it("names the artifact, the folder and the fix when it cannot stage", () => {
    const kubelet = path.join(dir, "kubelet");
    fs.writeFileSync(kubelet, "kubelet binary");
    const root = path.join(dir, "stage");
    fs.writeFileSync(root, "a file where the folder should be");
    expect(() => stageArtifacts([{ source: kubelet, target: "bin/kubelet" }], root)).toThrow(
      /kubeadm-ha:artifacts: cannot stage bin\/kubelet .*XDG_CACHE_HOME or KHA_DIGEST_CACHE/,
    );
  });

  it("prunes staged directories whose files are gone, and keeps the others", () => {
    const kept = path.join(dir, "kept");
    const gone = path.join(dir, "gone");
    fs.writeFileSync(kept, "k");
    fs.writeFileSync(gone, "g");
    const root = path.join(dir, "stage");
    const keep = stageArtifacts([{ source: kept, target: "bin/kept" }], root);
    const drop = stageArtifacts([{ source: gone, target: "images/gone.tar" }], root);
    fs.rmSync(gone);
    pruneStages(root);
    expect(fs.existsSync(keep)).toBe(true);
    expect(fs.existsSync(drop)).toBe(false);
  });
});
