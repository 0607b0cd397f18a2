import { clusterSpec, clusterSpecOf } from "./clusterSpec";
import { ConfigError } from "./reader";
import { validateConfig } from "./validate";
import { TEST_HOST_KEY } from "../test/unit/hostKey";

describe("clusterSpec: the cluster part of the config, for programs without a stack config", () => {
  it("fills every default the stack config has", () => {
    const spec = clusterSpec();
    expect(spec).toMatchObject({
      clusterName: "kubeadm-ha",
      kubernetesVersion: "1.34.1",
      podCidr: "10.244.0.0/16",
      serviceCidr: "10.96.0.0/12",
      cni: "calico",
      stopAfter: "service-load-balancer",
      resetOnDestroy: true,
    });
    expect(spec.apiEndpoint).toMatchObject({ mode: "nginx-proxy", port: 6443 });
  });

  it("is what a validated stack config holds for the same keys", () => {
    const keys = { clusterName: "team-a", cni: "bridge" as const, podCidr: "10.200.0.0/16", apiPort: 7443 };
    const config = validateConfig(
      {
        provider: "baremetal",
        ...keys,
        hosts: [
          { name: "cp-1", address: "192.0.2.11", roles: ["control-plane"], hostKey: TEST_HOST_KEY },
          { name: "w-1", address: "192.0.2.21", roles: ["worker", "loadbalancer"], hostKey: TEST_HOST_KEY },
        ],
      },
      { sshPrivateKey: true },
    );
    expect(clusterSpecOf(config)).toEqual(clusterSpec(keys));
  });

  it("refuses machine keys and bad values, naming each key", () => {
    try {
      clusterSpec({ hosts: [], podCidr: "10.244.0.0/33", cni: "weave" });
      throw new Error("no ConfigError");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const keys = (e as ConfigError).issues.map((i) => i.key);
      expect(keys).toEqual(expect.arrayContaining(["hosts", "podCidr", "cni"]));
    }
  });

  it("clouds delete their machines, bare metal resets its hosts", () => {
    const cloud = validateConfig(
      {
        provider: "digitalocean",
        digitalocean: { region: "fra1", adminCidrs: ["203.0.113.0/24"] },
        ssh: { publicKey: "ssh-ed25519 AAAA test" },
      },
      { sshPrivateKey: true },
    );
    expect(clusterSpecOf(cloud).resetOnDestroy).toBe(false);
  });
});
