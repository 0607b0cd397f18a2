import { parse } from "yaml";
import { renderKubeletSettings } from "../../components/render/host";
import { clusterSpec } from "../clusterSpec";
import { clusterSpecIssues } from "../../test/unit/clusterSpecIssues";

const issues = clusterSpecIssues;

describe("kubelet: eviction and image GC thresholds on every node", () => {
  it("default to the kubelet's own: no eviction signal overridden, image GC at 85% down to 80%", () => {
    expect(clusterSpec().kubelet).toEqual({ evictionHard: {}, imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80 });
    expect(parse(renderKubeletSettings(clusterSpec().kubelet))).toEqual({
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      imageGCHighThresholdPercent: 85,
      imageGCLowThresholdPercent: 80,
    });
  });

  it("renders the signals a stack sets (the kubelet merges them over its defaults), `pulumi config set` strings included", () => {
    const spec = clusterSpec({
      kubelet: {
        evictionHard: { "nodefs.available": "5%", "memory.available": "200Mi" },
        imageGCHighThresholdPercent: "95",
        imageGCLowThresholdPercent: 90,
      },
    });
    const doc = parse(renderKubeletSettings(spec.kubelet));
    expect(doc.evictionHard).toEqual({ "memory.available": "200Mi", "nodefs.available": "5%" });
    expect(Object.keys(doc.evictionHard)).toEqual(["memory.available", "nodefs.available"]);
    expect(doc).toMatchObject({ imageGCHighThresholdPercent: 95, imageGCLowThresholdPercent: 90 });
  });

  it("refuses unknown signals, thresholds that are neither a percentage nor a quantity, and a low mark not below the high one, naming each key", () => {
    const found = issues({
      kubelet: {
        evictionHard: {
          "imagefs.avaliable": "5%",
          "nodefs.available": "150%",
          "memory.available": "100 Mi; rm -rf /",
          "pid.available": "10%",
        },
        imageGCHighThresholdPercent: 80,
        imageGCLowThresholdPercent: 80,
        evictionSoft: {},
      },
    });
    expect(found.map((i) => i.key).sort()).toEqual([
      "kubelet.evictionHard.imagefs.avaliable",
      "kubelet.evictionHard.memory.available",
      "kubelet.evictionHard.nodefs.available",
      "kubelet.evictionSoft",
      "kubelet.imageGCLowThresholdPercent",
    ]);
    expect(found.find((i) => i.key === "kubelet.evictionHard.imagefs.avaliable")?.fix).toBe("did you mean 'imagefs.available'?");
    expect(found.find((i) => i.key === "kubelet.evictionHard.nodefs.available")?.fix).toContain("a percentage of the resource (10%)");
    expect(found.find((i) => i.key === "kubelet.imageGCLowThresholdPercent")?.fix).toBe("set it below 80");
    expect(issues({ kubelet: { imageGCHighThresholdPercent: 101 } }).map((i) => i.key)).toEqual(["kubelet.imageGCHighThresholdPercent"]);
  });
});
