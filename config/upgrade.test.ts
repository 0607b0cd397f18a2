// The version path of a running cluster: what kubeadm can upgrade in one step, and the refusals
// that name the path instead.

import { ConfigError } from "./reader";
import { hostScriptsDigest } from "../components/scripts";
import { hostScriptsNotice } from "./previousDeployment";
import { describeUpgrade, upgradeStep } from "./upgrade";

function refusal(running: string, target: string): string {
  try {
    upgradeStep(running, target);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`${running} -> ${target} was accepted`);
}

describe("upgradeStep", () => {
  it("a new stack, or the same version, upgrades nothing", () => {
    expect(upgradeStep(undefined, "1.34.1")).toEqual({ kind: "none" });
    expect(upgradeStep("", "1.34.1")).toEqual({ kind: "none" });
    expect(upgradeStep("1.34.1", "1.34.1")).toEqual({ kind: "none" });
  });

  it("a later patch, or any patch of the next minor, is one upgrade", () => {
    expect(upgradeStep("1.34.1", "1.34.4")).toEqual({ kind: "upgrade", from: "1.34.1", to: "1.34.4", minor: false });
    expect(upgradeStep("1.34.1", "1.35.4")).toEqual({ kind: "upgrade", from: "1.34.1", to: "1.35.4", minor: true });
    expect(upgradeStep("1.34.4", "1.35.0")).toEqual({ kind: "upgrade", from: "1.34.4", to: "1.35.0", minor: true });
  });

  it("a skipped minor is refused with every step of the path", () => {
    const message = refusal("1.33.4", "1.36.1");
    expect(message).toContain(
      "kubeadm-ha:kubernetesVersion: the cluster runs 1.33.4; kubeadm upgrades one minor version at a time, and 1.36.1 skips 1.34.x, 1.35.x",
    );
    expect(message).toContain("fix: upgrade through each minor, one `pulumi up` each: 1.33.4 -> 1.34.x -> 1.35.x -> 1.36.1");
  });

  it("a downgrade, of a patch or a minor, is refused", () => {
    expect(refusal("1.35.4", "1.34.1")).toContain("1.34.1 would be a downgrade, which kubeadm does not do");
    expect(refusal("1.34.4", "1.34.1")).toContain("set kubernetesVersion back to 1.34.4");
  });
});

describe("describeUpgrade", () => {
  it("lists the snapshot, the control planes one by one, then the workers in batches", () => {
    const step = upgradeStep("1.34.1", "1.35.4");
    if (step.kind !== "upgrade") throw new Error("no upgrade");
    expect(describeUpgrade(step, ["cp-1", "cp-2"], ["w-1", "w-2", "w-3"], 2)).toEqual([
      "Kubernetes 1.34.1 -> 1.35.4, in this order:",
      "  1. an etcd snapshot (on the first etcd member, kept with the others)",
      "  2. cp-1: kubeadm upgrade apply v1.35.4 (the cluster's config, control-plane manifests, CoreDNS, kube-proxy), then its kubelet",
      "  3. cp-2: kubeadm upgrade node, then its kubelet",
      "  4. w-1, w-2: cordon and drain, kubeadm upgrade node, kubelet, uncordon",
      "  5. w-3: cordon and drain, kubeadm upgrade node, kubelet, uncordon",
    ]);
  });
});

describe("hostScriptsNotice", () => {
  it("says nothing for a new stack or the same scripts, and why every step re-runs otherwise", () => {
    expect(hostScriptsNotice(undefined, "b")).toBeUndefined();
    expect(hostScriptsNotice("b", "b")).toBeUndefined();
    expect(hostScriptsNotice("a", "b")).toMatch(
      /differ from the release that last deployed this stack \(a -> b\): every host step runs once more/,
    );
  });

  it("the digest covers every script, and is stable", () => {
    expect(hostScriptsDigest()).toMatch(/^[0-9a-f]{16}$/);
    expect(hostScriptsDigest()).toBe(hostScriptsDigest());
  });

  it("the digest changes with the form steps carry the scripts in, not only with the scripts", () => {
    const real = hostScriptsDigest();
    let other = "";
    jest.isolateModules(() => {
      jest.doMock("../components/render/program", () => ({
        ...jest.requireActual("../components/render/program"),
        renderStepProgram: () => "another form\n",
      }));
      other = (require("../components/scripts") as typeof import("../components/scripts")).hostScriptsDigest();
    });
    jest.dontMock("../components/render/program");
    expect(other).toMatch(/^[0-9a-f]{16}$/);
    expect(other).not.toBe(real);
  });
});
