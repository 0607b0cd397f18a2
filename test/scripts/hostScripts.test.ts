// Host scripts run for real (bash, temporary root, stub commands): what they write, what they
// call, that a second run changes nothing, and that failures name what is missing.

import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { renderBundle } from "../../components/render/program";
import { renderSysctls, renderModules } from "../../components/render/host";
import { sandbox, Sandbox, SCRIPTS } from "./harness";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const restarts = (service: string) =>
  box.calls().filter((c) => c === `systemctl restart --no-block ${service}` || c === `systemctl restart ${service}`);

describe("put-files.sh", () => {
  const bundle = renderBundle([
    { path: "/etc/kubernetes/pki/etcd/server.key", content: "-----BEGIN RSA PRIVATE KEY-----\nsecret\n", mode: "0600" },
    { path: "/etc/etcd.env", content: "ETCD_NAME=a\n", mode: "0644" },
  ]);

  it("writes files with their modes, never printing content, and reports unchanged on a re-run", () => {
    const first = box.run("put-files.sh", {}, bundle);
    expect(first.status).toBe(0);
    expect(first.stdout).toBe("changed /etc/kubernetes/pki/etcd/server.key\nchanged /etc/etcd.env\n");
    expect(box.read("etc/kubernetes/pki/etcd/server.key")).toContain("secret");
    expect(fs.statSync(path.join(box.root, "etc/kubernetes/pki/etcd/server.key")).mode & 0o777).toBe(0o600);
    const second = box.run("put-files.sh", {}, bundle);
    expect(second.stdout).toBe("unchanged /etc/kubernetes/pki/etcd/server.key\nunchanged /etc/etcd.env\n");
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain("secret");
  });

  it("rewrites a file whose content or mode changed", () => {
    box.run("put-files.sh", {}, bundle);
    fs.chmodSync(path.join(box.root, "etc/etcd.env"), 0o666);
    expect(box.run("put-files.sh", {}, bundle).stdout).toContain("changed /etc/etcd.env");
  });

  it("refuses relative paths, '..' and a truncated bundle", () => {
    expect(box.run("put-files.sh", {}, "file 0644 etc/x\nend\n").status).toBe(2);
    expect(box.run("put-files.sh", {}, "file 0644 /etc/../x\nend\n").status).toBe(2);
    const cut = box.run("put-files.sh", {}, "file 0644 /etc/x\naGVsbG8=\n");
    expect(cut.status).toBe(2);
    expect(cut.stderr).toMatch(/ended inside \/etc\/x/);
    expect(box.exists("etc/x")).toBe(false);
  });
});

describe("host-prep.sh", () => {
  beforeEach(() => {
    box.write("etc/sysctl.d/99-kubeadm-ha.conf", renderSysctls());
    box.write("etc/modules-load.d/kubeadm-ha.conf", renderModules());
    box.write("etc/fstab", "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n");
  });

  it("comments swap out, sets ip_forward, tolerates unloadable modules; idempotent", () => {
    const first = box.run("host-prep.sh", { STUB_MODPROBE_EXIT: "1" });
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/module br_netfilter not loadable here/);
    expect(box.read("etc/fstab")).toContain("# disabled by kubeadm-ha: /swapfile none swap sw 0 0");
    expect(box.calls()).toContain("sysctl -w net.ipv4.ip_forward=1");
    expect(box.exists("opt/kubeadm-ha/artifacts/bin")).toBe(true);
    const fstab = box.read("etc/fstab");
    expect(box.run("host-prep.sh").status).toBe(0);
    expect(box.read("etc/fstab")).toBe(fstab);
  });
});

describe("node-install.sh", () => {
  beforeEach(() => {
    for (const bin of ["kubeadm", "kubelet", "kubectl"])
      box.write(`opt/kubeadm-ha/artifacts/bin/${bin}`, `#!/bin/sh\necho ${bin}\n`, 0o755);
    box.write("opt/kubeadm-ha/artifacts/images/pause.tar", "tar-bytes");
    box.write("opt/cni/bin/bridge", "", 0o755);
    box.write("etc/containerd/config.toml", "version = 2\n");
  });

  it("installs air-gapped binaries, restarts containerd and imports images once", () => {
    const first = box.run("node-install.sh", { KHA_K8S_URL: "", KHA_INSTALL_PACKAGES: "false" });
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(box.read("usr/local/bin/kubelet")).toContain("echo kubelet");
    expect(restarts("containerd.service")).toHaveLength(1);
    expect(box.calls().filter((c) => c.startsWith("ctr -n k8s.io images import"))).toHaveLength(1);
    expect(box.calls()).toContain("systemctl enable kubelet.service");
    const second = box.run("node-install.sh", { KHA_K8S_URL: "", KHA_INSTALL_PACKAGES: "false" });
    expect(second.status).toBe(0);
    expect(restarts("containerd.service")).toHaveLength(1);
    expect(box.calls().filter((c) => c.startsWith("ctr -n k8s.io images import"))).toHaveLength(1);
  });

  describe("release downloads are verified against their published checksums, always", () => {
    const www = () => path.join(box.stubDir, "www");
    const publish = (name: string, content: string, sum?: string) => {
      fs.mkdirSync(www(), { recursive: true });
      fs.writeFileSync(path.join(www(), name), content);
      const real = crypto.createHash("sha256").update(content).digest("hex");
      if (sum !== "none") fs.writeFileSync(path.join(www(), `${name}.sha256`), `${sum ?? real}\n`);
    };
    const release = { KHA_K8S_URL: "https://dl.example/v1.34.1/bin/linux/amd64", KHA_INSTALL_PACKAGES: "false", STUB_WWW: "" };
    beforeEach(() => {
      for (const bin of ["kubeadm", "kubelet", "kubectl"]) fs.rmSync(path.join(box.root, `opt/kubeadm-ha/artifacts/bin/${bin}`));
    });

    it("installs binaries whose checksum matches", () => {
      for (const bin of ["kubeadm", "kubelet", "kubectl"]) publish(bin, `#!/bin/sh\necho ${bin}-from-release\n`);
      const run = box.run("node-install.sh", { ...release, STUB_WWW: www() });
      expect(run.status).toBe(0);
      expect(box.read("usr/local/bin/kubelet")).toContain("kubelet-from-release");
    });

    it("refuses a binary whose checksum does not match, and installs nothing", () => {
      publish("kubeadm", "tampered", "0".repeat(64));
      const run = box.run("node-install.sh", { ...release, STUB_WWW: www() });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/checksum mismatch for https:\/\/dl\.example\/.*\/kubeadm/);
      expect(box.exists("usr/local/bin/kubeadm")).toBe(false);
      expect(box.exists("opt/kubeadm-ha/artifacts/bin/kubeadm")).toBe(false);
    });

    it("refuses a binary without a published checksum", () => {
      publish("kubeadm", "no-sum", "none");
      const run = box.run("node-install.sh", { ...release, STUB_WWW: www() });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/no checksum published at .*kubeadm\.sha256/);
    });
  });

  it("names the missing binary when air-gapped artifacts are incomplete", () => {
    fs.rmSync(path.join(box.root, "opt/kubeadm-ha/artifacts/bin/kubelet"));
    const run = box.run("node-install.sh", { KHA_K8S_URL: "", KHA_INSTALL_PACKAGES: "false" });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/kubelet is not in .*artifacts\/bin and no download URL/);
  });
});

describe("etcd scripts", () => {
  beforeEach(() => {
    box.write("opt/kubeadm-ha/artifacts/bin/etcd", "etcd-binary", 0o755);
    box.write("opt/kubeadm-ha/artifacts/bin/etcdctl", "etcdctl-binary", 0o755);
    for (const f of ["ca.crt", "server.crt", "server.key", "peer.crt", "peer.key"]) box.write(`etc/kubernetes/pki/etcd/${f}`, f);
    box.write("etc/etcd.env", "ETCD_NAME=e-1\n");
    box.write("etc/systemd/system/etcd.service", "[Service]\n");
  });

  it("etcd-install.sh starts etcd once, keeps the data dir, restarts only on change", () => {
    box.write("var/lib/etcd/member/keep", "data");
    expect(box.run("etcd-install.sh", { KHA_ETCD_VERSION: "3.5.21" }).status).toBe(0);
    expect(box.read("usr/local/bin/etcd")).toBe("etcd-binary");
    expect(restarts("etcd.service")).toHaveLength(1);
    const second = box.run("etcd-install.sh", { KHA_ETCD_VERSION: "3.5.21" });
    expect(second.stdout).toContain("etcd unchanged");
    expect(restarts("etcd.service")).toHaveLength(1);
    box.write("etc/etcd.env", "ETCD_NAME=e-1\nETCD_SNAPSHOT_COUNT=5\n");
    box.run("etcd-install.sh", { KHA_ETCD_VERSION: "3.5.21" });
    expect(restarts("etcd.service")).toHaveLength(2);
    expect(box.read("var/lib/etcd/member/keep")).toBe("data");
  });

  it("etcd-install.sh verifies a downloaded release against etcd's SHA256SUMS", () => {
    const www = path.join(box.stubDir, "www");
    fs.mkdirSync(path.join(www, "src", "etcd-v3.5.21-linux-amd64"), { recursive: true });
    for (const b of ["etcd", "etcdctl"])
      fs.writeFileSync(path.join(www, "src", "etcd-v3.5.21-linux-amd64", b), `${b}-released`, { mode: 0o755 });
    spawnSync("tar", ["-czf", path.join(www, "etcd-v3.5.21-linux-amd64.tar.gz"), "-C", path.join(www, "src"), "etcd-v3.5.21-linux-amd64"]);
    const sum = crypto
      .createHash("sha256")
      .update(fs.readFileSync(path.join(www, "etcd-v3.5.21-linux-amd64.tar.gz")))
      .digest("hex");
    for (const b of ["etcd", "etcdctl"]) fs.rmSync(path.join(box.root, `opt/kubeadm-ha/artifacts/bin/${b}`));
    const env = {
      KHA_ETCD_VERSION: "3.5.21",
      KHA_ETCD_URL: "https://releases.example/v3.5.21/etcd-v3.5.21-linux-amd64.tar.gz",
      STUB_WWW: www,
    };

    fs.writeFileSync(path.join(www, "SHA256SUMS"), `${"f".repeat(64)}  etcd-v3.5.21-linux-amd64.tar.gz\n`);
    const bad = box.run("etcd-install.sh", env);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/checksum mismatch for https:\/\/releases\.example/);
    expect(box.exists("usr/local/bin/etcd")).toBe(false);

    fs.writeFileSync(path.join(www, "SHA256SUMS"), `${sum}  etcd-v3.5.21-linux-amd64.tar.gz\n${"a".repeat(64)}  other.tar.gz\n`);
    const good = box.run("etcd-install.sh", env);
    expect(good.stderr).not.toMatch(/ERROR/);
    expect(good.status).toBe(0);
    expect(box.read("usr/local/bin/etcd")).toBe("etcd-released");
  });

  it("etcd-install.sh names a missing certificate", () => {
    fs.rmSync(path.join(box.root, "etc/kubernetes/pki/etcd/peer.key"));
    const run = box.run("etcd-install.sh", { KHA_ETCD_VERSION: "3.5.21" });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/missing .*etcd\/peer.key/);
  });

  it("etcd-health.sh waits for health within its bound, then gives up with a clear message", () => {
    const ok = box.run("etcd-health.sh", {
      KHA_ETCD_ENDPOINTS: "https://10.0.0.1:2379",
      STUB_ETCDCTL_FAILS: "2",
      KHA_TRIES: "5",
      KHA_DELAY: "0",
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("is healthy");
    fs.rmSync(path.join(box.stubDir, "etcdctl.count"));
    const bad = box.run("etcd-health.sh", {
      KHA_ETCD_ENDPOINTS: "https://10.0.0.1:2379",
      STUB_ETCDCTL_FAILS: "100",
      KHA_TRIES: "3",
      KHA_DELAY: "0",
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/timed out waiting for every etcd member healthy \(https:\/\/10.0.0.1:2379\) \(3 x 0s\)/);
  });

  it("etcd-reset.sh removes unit, data, certificates and binaries, and can run twice", () => {
    box.run("etcd-install.sh", { KHA_ETCD_VERSION: "3.5.21" });
    for (let i = 0; i < 2; i++) expect(box.run("etcd-reset.sh").status).toBe(0);
    for (const gone of [
      "var/lib/etcd",
      "etc/kubernetes/pki/etcd",
      "etc/etcd.env",
      "etc/systemd/system/etcd.service",
      "usr/local/bin/etcd",
    ]) {
      expect(box.exists(gone)).toBe(false);
    }
  });
});

describe("kubeadm scripts", () => {
  beforeEach(() => {
    box.write("etc/kubeadm-ha/kubeadm.yaml", "kind: InitConfiguration\n");
    box.write("etc/kubernetes/pki/ca.crt", "ca");
  });

  it("kubeadm-init.sh initialises once and regenerates manifests only when settings change", () => {
    expect(box.run("kubeadm-init.sh").status).toBe(0);
    expect(box.calls().filter((c) => c.startsWith("kubeadm init --config"))).toHaveLength(1);
    expect(box.run("kubeadm-init.sh").stdout).toContain("already initialised, nothing changed");
    box.write("etc/kubeadm-ha/kubeadm.yaml", "kind: InitConfiguration\n# changed\n");
    box.run("kubeadm-init.sh");
    expect(box.calls().filter((c) => c.startsWith("kubeadm init phase control-plane all"))).toHaveLength(1);
    expect(box.calls().filter((c) => c.startsWith("kubeadm init --config"))).toHaveLength(1);
  });

  it("kubeadm-init.sh deletes kubeadm's unused 24-hour default bootstrap token, once", () => {
    const first = box.run("kubeadm-init.sh");
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("deleted kubeadm's default bootstrap token");
    expect(box.calls().filter((c) => c.startsWith("kubeadm token delete"))).toEqual([
      expect.stringMatching(/^kubeadm token delete --kubeconfig .*admin\.conf k8sdef\.0123456789abcdef$/),
    ]);
    expect(box.run("kubeadm-init.sh").stdout).not.toContain("deleted");
    expect(box.calls().filter((c) => c.startsWith("kubeadm token delete"))).toHaveLength(1);
  });

  it("kubeadm-join.sh joins once and always deletes the join config (it holds the token)", () => {
    box.write("etc/kubeadm-ha/kubeadm-join.yaml", "token: abc\n", 0o600);
    expect(box.run("kubeadm-join.sh", { KHA_CONTROL_PLANE: "false" }).status).toBe(0);
    expect(box.exists("etc/kubeadm-ha/kubeadm-join.yaml")).toBe(false);
    box.write("etc/kubeadm-ha/kubeadm-join.yaml", "token: abc\n", 0o600);
    expect(box.run("kubeadm-join.sh", { KHA_CONTROL_PLANE: "false" }).stdout).toContain("already joined");
    expect(box.calls().filter((c) => c.startsWith("kubeadm join"))).toHaveLength(1);
    expect(box.exists("etc/kubeadm-ha/kubeadm-join.yaml")).toBe(false);
  });

  it("kubeadm-token.sh prints only a short-lived token", () => {
    const run = box.run("kubeadm-token.sh", { KHA_FOR: "w-1" });
    expect(run.stdout).toBe("abcdef.0123456789abcdef\n");
    expect(box.calls()[0]).toMatch(/kubeadm token create .*--ttl 30m --description kubeadm-ha join of w-1/);
  });

  it("kubeadm-reset.sh removes kubeadm's and kubeadm-ha's state and can run twice", () => {
    box.write("etc/kubernetes/kubelet.conf", "x");
    box.write("var/lib/kubelet/config.yaml", "x");
    box.write("etc/cni/net.d/10-kubeadm-ha-bridge.conflist", "{}");
    box.write("etc/cni/net.d/99-other.conf", "{}");
    for (let i = 0; i < 2; i++) expect(box.run("kubeadm-reset.sh").status).toBe(0);
    expect(box.exists("etc/kubernetes")).toBe(false);
    expect(box.exists("var/lib/kubelet")).toBe(false);
    expect(box.exists("etc/cni/net.d/10-kubeadm-ha-bridge.conflist")).toBe(false);
    expect(box.exists("etc/cni/net.d/99-other.conf")).toBe(true);
    expect(box.calls()).toContain("kubeadm reset -f --cri-socket unix:///run/containerd/containerd.sock");
  });
});

describe("host-reset.sh", () => {
  it("removes what host preparation installed, keeps containerd, and can run twice", () => {
    box.write("opt/kubeadm-ha/artifacts/bin/kubelet", "x");
    box.write("usr/local/bin/kubelet", "x");
    box.write("etc/systemd/system/kubelet.service", "[Service]\n");
    box.write("etc/sysctl.d/99-kubeadm-ha.conf", "x");
    box.write("etc/containerd/config.toml", "version = 2\n");
    for (let i = 0; i < 2; i++) expect(box.run("host-reset.sh").status).toBe(0);
    for (const gone of [
      "opt/kubeadm-ha",
      "usr/local/bin/kubelet",
      "etc/systemd/system/kubelet.service",
      "etc/sysctl.d/99-kubeadm-ha.conf",
    ]) {
      expect(box.exists(gone)).toBe(false);
    }
    expect(box.exists("etc/containerd/config.toml")).toBe(true);
  });
});

describe("apiserver proxy scripts", () => {
  beforeEach(() => {
    box.write("etc/kubeadm-ha/apiserver-proxy/nginx.conf", "stream {}\n");
    box.write("etc/systemd/system/kubeadm-ha-apiserver-proxy.service", "[Service]\n");
  });

  it("proxy-install.sh refuses a missing image when it may not pull", () => {
    const run = box.run("proxy-install.sh", { KHA_PROXY_IMAGE: "nginx:x", KHA_PULL: "false" });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/image nginx:x is not in containerd/);
  });

  it("proxy-install.sh starts once, restarts on config change; proxy-reset.sh cleans up", () => {
    const env = { KHA_PROXY_IMAGE: "nginx:x", STUB_IMAGES: "nginx:x" };
    expect(box.run("proxy-install.sh", env).status).toBe(0);
    expect(box.run("proxy-install.sh", env).status).toBe(0);
    expect(restarts("kubeadm-ha-apiserver-proxy.service")).toHaveLength(1);
    box.write("etc/kubeadm-ha/apiserver-proxy/nginx.conf", "stream { # new\n}\n");
    box.run("proxy-install.sh", env);
    expect(restarts("kubeadm-ha-apiserver-proxy.service")).toHaveLength(2);
    expect(box.run("proxy-reset.sh").status).toBe(0);
    expect(box.exists("etc/kubeadm-ha/apiserver-proxy")).toBe(false);
  });
});

describe("bridge pod network", () => {
  it("writes the node's CNI config from its podCIDR and routes the other nodes' ranges", () => {
    box.write("etc/kubernetes/kubelet.conf", "x");
    const nodes = "n-1 10.244.0.0/24 10.77.0.11\\nn-2 10.244.1.0/24 10.77.0.12\\nn-3 10.244.2.0/24 10.77.0.13\\n";
    const env = { KHA_NODE: "n-2", KHA_POD_CIDR: "10.244.0.0/16", STUB_NODES: nodes, STUB_ROUTES: "10.244.9.0/24 via 10.77.0.19\n" };
    expect(box.run("pod-network-sync.sh", env).status).toBe(0);
    const conf = JSON.parse(box.read("etc/cni/net.d/10-kubeadm-ha-bridge.conflist"));
    expect(conf.plugins[0].ipam.ranges[0][0]).toEqual({ subnet: "10.244.1.0/24", gateway: "10.244.1.1" });
    const calls = box.calls();
    expect(calls).toContain("ip route replace 10.244.0.0/24 via 10.77.0.11 proto 177");
    expect(calls).toContain("ip route replace 10.244.2.0/24 via 10.77.0.13 proto 177");
    expect(calls).toContain("ip route del 10.244.9.0/24 proto 177");
    expect(calls.some((c) => c.includes("10.244.1.0/24 via"))).toBe(false);
    expect(calls).toContain(
      "iptables -t nat -A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -m comment --comment kubeadm-ha -j MASQUERADE",
    );
  });

  it("waits quietly until the node has joined", () => {
    expect(box.run("pod-network-sync.sh", { KHA_NODE: "n-1", KHA_POD_CIDR: "10.244.0.0/16" }).status).toBe(0);
    expect(box.calls()).toEqual([]);
  });
});

describe("local-ssh-run.sh (bare-metal reset on destroy)", () => {
  const env = { KHA_NODE: "n-1", KHA_HOST: "10.77.0.11", KHA_REMOTE_PROGRAM: "echo reset", KHA_SSH_TRIES: "2", KHA_SSH_TIMEOUT: "1" };

  it("sends the program over ssh and keeps the key out of argv", () => {
    const run = box.run("local-ssh-run.sh", env, "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n");
    expect(run.status).toBe(0);
    expect(fs.readFileSync(path.join(box.stubDir, "ssh.stdin"), "utf8")).toBe("echo reset");
    expect(box.calls().join("\n")).not.toContain("PRIVATE KEY");
  });

  it("skips an unreachable host after bounded tries instead of failing destroy", () => {
    const run = box.run("local-ssh-run.sh", { ...env, STUB_SSH_EXIT: "255" }, "key");
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/skipped the reset of n-1: host unreachable/);
    expect(box.calls().filter((c) => c.startsWith("ssh "))).toHaveLength(2);
  });

  it("reports a failing reset script", () => {
    expect(box.run("local-ssh-run.sh", { ...env, STUB_SSH_EXIT: "3" }, "key").status).toBe(3);
  });

  it("fails, naming the host, when the host answers but refuses the login (it is not gone)", () => {
    for (const reason of ["root@10.77.0.11: Permission denied (publickey).", "Host key verification failed."]) {
      const run = box.run("local-ssh-run.sh", { ...env, STUB_SSH_EXIT: "255", STUB_SSH_STDERR: reason }, "key");
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/n-1 \(10\.77\.0\.11:22\) refused the SSH login as root/);
      expect(run.stderr).not.toMatch(/skipped the reset/);
    }
  });

  it("still skips a host that does not answer, after its tries", () => {
    const run = box.run(
      "local-ssh-run.sh",
      { ...env, STUB_SSH_EXIT: "255", STUB_SSH_STDERR: "ssh: connect to host 10.77.0.11 port 22: No route to host" },
      "key",
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/skipped the reset of n-1: host unreachable/);
  });
});

describe("shellcheck", () => {
  it("passes on every host script", () => {
    const scripts = fs
      .readdirSync(SCRIPTS)
      .filter((f) => f.endsWith(".sh"))
      .map((f) => path.join(SCRIPTS, f));
    expect(scripts.length).toBeGreaterThan(10);
    expect(() => execFileSync("shellcheck", ["-x", "-P", SCRIPTS, ...scripts], { encoding: "utf8" })).not.toThrow();
  });
});
