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
      stopAfter: "metrics-server",
      resetOnDestroy: true,
    });
    expect(spec.addons).toEqual({ metricsServer: { enabled: true, image: "registry.k8s.io/metrics-server/metrics-server:v0.8.0" } });
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

describe("upgrade settings and per-version artifacts", () => {
  it("upgrade defaults to one worker at a time with a 300s drain bound, and checks both", () => {
    expect(clusterSpec().upgrade).toEqual({ workersInParallel: 1, drainTimeout: "300s" });
    expect(clusterSpec({ upgrade: { workersInParallel: 3, drainTimeout: "2m" } }).upgrade).toEqual({
      workersInParallel: 3,
      drainTimeout: "2m",
    });
    expect(() => clusterSpec({ upgrade: { workersInParallel: 0 } })).toThrow(/upgrade.workersInParallel/);
    expect(() => clusterSpec({ upgrade: { drainTimeout: "soon" } })).toThrow(/upgrade.drainTimeout: 'soon' is not a duration/);
    expect(() => clusterSpec({ upgrade: { parallel: 2 } })).toThrow(/upgrade.parallel: unknown key/);
  });

  it("{kubernetesVersion} in artifacts.dir names each version's directory; other characters stay refused", () => {
    const spec = clusterSpec({ kubernetesVersion: "1.35.4", artifacts: { source: "local", dir: "/srv/k8s-{kubernetesVersion}" } });
    expect(spec.artifacts.dir).toBe("/srv/k8s-1.35.4");
    expect(() => clusterSpec({ artifacts: { source: "local", dir: "/srv/{version}" } })).toThrow(/artifacts.dir/);
  });

  it("1.35 to 1.37 are accepted; 1.30 and 1.38 are not", () => {
    for (const v of ["1.35.4", "1.36.1", "1.37.2"]) expect(clusterSpec({ kubernetesVersion: v }).kubernetesVersion).toBe(v);
    for (const v of ["1.30.9", "1.38.0"]) expect(() => clusterSpec({ kubernetesVersion: v })).toThrow(/use a full version of 1.31 to 1.37/);
  });
});
