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

// what the control-plane phase gives kubeadm-init.sh: the etcd to ask, the other control planes
const INIT_ENV = {
  KHA_NODE_NAME: "cp-1",
  KHA_ETCD_ENDPOINTS: "https://10.0.0.1:2379",
  KHA_OTHER_APISERVERS: "10.0.0.2:6443 10.0.0.3:6443",
};

/** a process the scripts see in the sandbox's own process directory (KHA_PROC), by its comm */
const runs = (pid: string, comm: string) => {
  fs.mkdirSync(path.join(box.root, "..", "proc", pid), { recursive: true });
  fs.writeFileSync(path.join(box.root, "..", "proc", pid, "comm"), `${comm}\n`);
};

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

  it("writes back exactly the bytes it was given, text or not", () => {
    const contents = [
      "",
      "\n",
      "x",
      "x\n\n",
      "end\n|bar\nfile 0644 /y\n",
      "crlf\r\n",
      "  indented\ttab \\ $HOME `x`\n",
      "nul\0byte",
      "\u00e9t\u00e9\n",
    ];
    const files = contents.map((content, i) => ({ path: `/etc/f${i}`, content, mode: "0644" }));
    const run = box.run("put-files.sh", {}, renderBundle(files));
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    for (const [i, content] of contents.entries()) {
      expect(fs.readFileSync(path.join(box.root, `etc/f${i}`))).toEqual(Buffer.from(content, "utf8"));
    }
    expect(box.run("put-files.sh", {}, renderBundle(files)).stdout).not.toMatch(/^changed /m);
  });

  it("refuses a text line without its '|' and a flag on anything but text", () => {
    const loose = box.run("put-files.sh", {}, "text 0644 /etc/x\n|ok\nloose\nend\n");
    expect(loose.status).toBe(2);
    expect(loose.stderr).toMatch(/a line of \/etc\/x without its '\|'/);
    expect(box.run("put-files.sh", {}, "file 0644 /etc/x -n\nend\n").status).toBe(2);
    expect(box.exists("etc/x")).toBe(false);
  });

  it("refuses relative paths, '..' and a truncated bundle", () => {
    expect(box.run("put-files.sh", {}, "file 0644 etc/x\nend\n").status).toBe(2);
    expect(box.run("put-files.sh", {}, "file 0644 /etc/../x\nend\n").status).toBe(2);
    for (const cutBundle of ["file 0644 /etc/x\naGVsbG8=\n", "text 0644 /etc/x\n|hello\n"]) {
      const cut = box.run("put-files.sh", {}, cutBundle);
      expect(cut.status).toBe(2);
      expect(cut.stderr).toMatch(/ended inside \/etc\/x/);
      expect(box.exists("etc/x")).toBe(false);
    }
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
    // each image the tar held is pinned against the kubelet's image GC
    expect(box.calls()).toContain("ctr -n k8s.io images label registry.k8s.io/pause:3.10.1 io.cri-containerd.pinned=pinned");
    const second = box.run("node-install.sh", { KHA_K8S_URL: "", KHA_INSTALL_PACKAGES: "false" });
    expect(second.status).toBe(0);
    expect(restarts("containerd.service")).toHaveLength(1);
    expect(box.calls().filter((c) => c.startsWith("ctr -n k8s.io images import"))).toHaveLength(1);
  });

  it("restarts a running kubelet once when its settings drop-in changes; a kubelet not yet started reads it when kubeadm starts it", () => {
    const env = { KHA_K8S_URL: "", KHA_INSTALL_PACKAGES: "false" };
    const settings = "etc/kubernetes/kubelet.conf.d/50-kubeadm-ha.conf";
    box.write(settings, "imageGCHighThresholdPercent: 85\n");
    expect(box.run("node-install.sh", env).status).toBe(0);
    expect(restarts("kubelet")).toEqual([]);
    fs.writeFileSync(path.join(box.stubDir, "active-kubelet"), "");
    expect(box.run("node-install.sh", env).stdout).not.toContain("kubelet restarted");
    box.write(settings, "imageGCHighThresholdPercent: 95\n");
    const changed = box.run("node-install.sh", env);
    expect(changed.status).toBe(0);
    expect(changed.stdout).toContain("kubelet restarted with its changed settings");
    expect(restarts("kubelet")).toHaveLength(1);
    expect(box.run("node-install.sh", env).status).toBe(0);
    expect(restarts("kubelet")).toHaveLength(1);
  });

  it("refuses new binaries under a running kubelet of another version when the program planned no upgrade, changing nothing", () => {
    box.write("usr/local/bin/kubelet", "#!/bin/sh\necho Kubernetes v1.33.4\n", 0o755);
    box.write("etc/kubernetes/kubelet.conf", "kubelet");
    const env = { KHA_K8S_URL: "", KHA_INSTALL_PACKAGES: "false", KHA_KUBERNETES_VERSION: "1.34.1" };
    const run = box.run("node-install.sh", env);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("this node runs Kubernetes v1.33.4 and kubernetesVersion is 1.34.1, but the program planned no upgrade");
    expect(run.stderr).toContain("Run pulumi up once with kubernetesVersion 1.33.4, then change it");
    expect(box.read("usr/local/bin/kubelet")).toContain("v1.33.4");
    expect(box.calls().filter((c) => c.startsWith("systemctl") || c.startsWith("ctr"))).toEqual([]);
    // the same version (or a node not running yet) installs as before
    expect(box.run("node-install.sh", { ...env, KHA_KUBERNETES_VERSION: "1.33.4" }).status).toBe(0);
  });

  it("stages a planned upgrade: images imported and binaries in the artifacts directory, the running ones untouched", () => {
    box.write("usr/local/bin/kubelet", "#!/bin/sh\necho Kubernetes v1.33.4\n", 0o755);
    box.write("usr/local/bin/kubeadm", "old kubeadm", 0o755);
    box.write("etc/kubernetes/kubelet.conf", "kubelet");
    const env = { KHA_K8S_URL: "", KHA_INSTALL_PACKAGES: "false", KHA_KUBERNETES_VERSION: "1.34.1", KHA_VERSION_RECORDED: "true" };
    const run = box.run("node-install.sh", env);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("staged Kubernetes 1.34.1; this node runs v1.33.4 until the rolling upgrade reaches it");
    expect(box.read("usr/local/bin/kubelet")).toContain("v1.33.4");
    expect(box.read("usr/local/bin/kubeadm")).toBe("old kubeadm");
    expect(box.calls().filter((c) => c.startsWith("ctr -n k8s.io images import"))).toHaveLength(1);
    expect(box.calls()).not.toContain("systemctl restart kubelet");
  });

  it("refuses a planned upgrade that skips a minor or goes back, naming the path", () => {
    box.write("usr/local/bin/kubelet", "#!/bin/sh\necho Kubernetes v1.33.4\n", 0o755);
    box.write("etc/kubernetes/kubelet.conf", "kubelet");
    const env = { KHA_K8S_URL: "", KHA_INSTALL_PACKAGES: "false", KHA_VERSION_RECORDED: "true" };
    const skip = box.run("node-install.sh", { ...env, KHA_KUBERNETES_VERSION: "1.35.0" });
    expect(skip.status).not.toBe(0);
    expect(skip.stderr).toContain("kubeadm upgrades one minor at a time and v1.35.0 skips one: upgrade to 1.34.x first");
    const down = box.run("node-install.sh", { ...env, KHA_KUBERNETES_VERSION: "1.33.1" });
    expect(down.status).not.toBe(0);
    expect(down.stderr).toContain("v1.33.1 would be a downgrade");
    expect(box.calls().filter((c) => c.startsWith("ctr"))).toEqual([]);
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
  // e-2 of three configured members
  const CONFIGURED = "e-1=https://10.0.0.1:2380,e-2=https://10.0.0.2:2380,e-3=https://10.0.0.3:2380";
  const MEMBER = {
    KHA_ETCD_VERSION: "3.5.21",
    KHA_ETCD_NAME: "e-2",
    KHA_ETCD_PEER_URL: "https://10.0.0.2:2380",
    KHA_ETCD_INITIAL_CLUSTER: CONFIGURED,
  };
  const members = (...lines: string[]) => fs.writeFileSync(path.join(box.stubDir, "etcd-members"), lines.map((l) => `${l}\n`).join(""));
  const started = (id: string, name: string, ip: string) => `${id}, started, ${name}, https://${ip}:2380, https://${ip}:2379, false`;
  const memberCalls = () => box.calls().filter((c) => / member (add|remove|promote) /.test(c));
  beforeEach(() => {
    box.write("opt/kubeadm-ha/artifacts/bin/etcd", "etcd-binary", 0o755);
    box.write("opt/kubeadm-ha/artifacts/bin/etcdctl", "etcdctl-binary", 0o755);
    for (const f of ["ca.crt", "server.crt", "server.key", "peer.crt", "peer.key", "healthcheck-client.crt", "healthcheck-client.key"])
      box.write(`etc/kubernetes/pki/etcd/${f}`, f);
    box.write("etc/etcd.env", "ETCD_NAME=e-1\n");
    box.write("etc/systemd/system/etcd.service", "[Service]\n");
  });

  it("etcd-install.sh starts etcd once, keeps the data dir, restarts only on change, in its turn", () => {
    box.write("var/lib/etcd/member/keep", "data");
    members(started("a1", "e-1", "10.0.0.1"), started("a2", "e-2", "10.0.0.2"), started("a3", "e-3", "10.0.0.3"));
    expect(box.run("etcd-install.sh", MEMBER).status).toBe(0);
    // a member with data asks the cluster nothing: its initial settings are history
    expect(box.calls().filter((c) => c.startsWith("etcdctl"))).toEqual([]);
    expect(box.read("usr/local/bin/etcd")).toBe("etcd-binary");
    expect(box.calls()).toContain("systemctl start --no-block etcd.service");
    const second = box.run("etcd-install.sh", MEMBER);
    expect(second.stdout).toContain("etcd unchanged");
    expect(restarts("etcd.service")).toHaveLength(0);
    // a changed environment: restarted while holding the cluster's restart lock, through the other members
    box.write("etc/etcd.env", "ETCD_NAME=e-1\nETCD_SNAPSHOT_COUNT=5\n");
    const changed = box.run("etcd-install.sh", MEMBER);
    expect(changed.status).toBe(0);
    expect(changed.stdout).toContain("etcd restarted in its turn and is healthy");
    expect(box.calls()).toContainEqual(
      expect.stringMatching(
        /^etcdctl --endpoints=https:\/\/10\.0\.0\.1:2379,https:\/\/10\.0\.0\.3:2379 .* lock kubeadm-ha-etcd-restart bash /,
      ),
    );
    expect(box.calls()).toContainEqual(expect.stringMatching(/^etcdctl --endpoints=https:\/\/127\.0\.0\.1:2379 .*endpoint health$/));
    expect(restarts("etcd.service")).toHaveLength(1);
    // renewed certificates: no restart (etcd reads them on every new connection)
    box.write("etc/kubernetes/pki/etcd/server.crt", "renewed");
    const renewed = box.run("etcd-install.sh", MEMBER);
    expect(renewed.stdout).toContain("certificates renewed: etcd serves them from its next connection on");
    expect(restarts("etcd.service")).toHaveLength(1);
    expect(box.read("var/lib/etcd/member/keep")).toBe("data");
  });

  it("etcd-install.sh: a restart that finds no other healthy member restarts at once; one that never gets healthy fails", () => {
    box.write("var/lib/etcd/member/keep", "data");
    box.run("etcd-install.sh", MEMBER);
    box.write("etc/etcd.env", "ETCD_NAME=e-1\nETCD_SNAPSHOT_COUNT=5\n");
    const alone = box.run("etcd-install.sh", { ...MEMBER, STUB_ETCD_NO_QUORUM: "1" });
    expect(alone.stdout).toContain("no other healthy member to wait for");
    expect(restarts("etcd.service")).toHaveLength(1);
    box.write("etc/etcd.env", "ETCD_NAME=e-1\nETCD_SNAPSHOT_COUNT=6\n");
    const stuck = box.run("etcd-install.sh", {
      ...MEMBER,
      STUB_ETCD_UNHEALTHY: "https://127.0.0.1:2379",
      KHA_ETCD_JOIN_TRIES: "2",
      KHA_ETCD_JOIN_DELAY: "0",
    });
    expect(stuck.status).not.toBe(0);
    expect(stuck.stderr).toContain("timed out waiting for this etcd member to answer healthy after its restart");
    expect(stuck.stderr).toContain("etcd did not restart healthy in its turn");
    // (not recorded as applied: the next run restarts it again)
    expect(box.run("etcd-install.sh", MEMBER).stdout).toContain("etcd restarted in its turn");
  });

  it("etcd-install.sh takes over a host set up by a release with one checksum for all, restarting nothing", () => {
    box.write("var/lib/etcd/member/keep", "data");
    box.run("etcd-install.sh", MEMBER);
    const files = [
      "usr/local/bin/etcd",
      "etc/etcd.env",
      "etc/systemd/system/etcd.service",
      "etc/kubernetes/pki/etcd/ca.crt",
      "etc/kubernetes/pki/etcd/server.crt",
      "etc/kubernetes/pki/etcd/server.key",
      "etc/kubernetes/pki/etcd/peer.crt",
      "etc/kubernetes/pki/etcd/peer.key",
    ];
    const sum = require("crypto")
      .createHash("sha256")
      .update(files.map((f) => box.read(f)).join(""))
      .digest("hex");
    fs.rmSync(path.join(box.root, "var/lib/kubeadm-ha/etcd-service.sum"));
    fs.rmSync(path.join(box.root, "var/lib/kubeadm-ha/etcd-certs.sum"));
    box.write("var/lib/kubeadm-ha/etcd.sum", `${sum}\n`);
    const run = box.run("etcd-install.sh", MEMBER);
    expect(run.stdout).toContain("etcd unchanged");
    expect(run.stdout).not.toContain("certificates renewed");
    expect(restarts("etcd.service")).toHaveLength(0);
    expect(box.exists("var/lib/kubeadm-ha/etcd.sum")).toBe(false);
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
      ...MEMBER,
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
    const run = box.run("etcd-install.sh", MEMBER);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/missing .*etcd\/peer.key/);
  });

  it("etcd-health.sh waits for health within its bound, then gives up with a clear message", () => {
    members(started("a1", "e-1", "10.0.0.1"));
    const ok = box.run("etcd-health.sh", {
      KHA_ETCD_ENDPOINTS: "https://10.0.0.1:2379",
      KHA_ETCD_MEMBERS: "e-1=https://10.0.0.1:2380",
      STUB_ETCDCTL_FAILS: "2",
      KHA_TRIES: "5",
      KHA_DELAY: "0",
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("is healthy");
    fs.rmSync(path.join(box.stubDir, "etcdctl.count"));
    const bad = box.run("etcd-health.sh", {
      KHA_ETCD_ENDPOINTS: "https://10.0.0.1:2379",
      KHA_ETCD_MEMBERS: "e-1=https://10.0.0.1:2380",
      STUB_ETCDCTL_FAILS: "100",
      KHA_TRIES: "3",
      KHA_DELAY: "0",
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/timed out waiting for every etcd member healthy \(https:\/\/10.0.0.1:2379\) \(3 x 0s\)/);
  });

  it("etcd-install.sh: nobody answers, so the configured members bootstrap a new cluster together", () => {
    expect(box.run("etcd-install.sh", { ...MEMBER, STUB_ETCD_DOWN: "1" }).status).toBe(0);
    expect(box.read("etc/kubeadm-ha/etcd-initial.env")).toBe(`ETCD_INITIAL_CLUSTER_STATE=new\nETCD_INITIAL_CLUSTER=${CONFIGURED}\n`);
    expect(memberCalls()).toEqual([]);
  });

  it("etcd-install.sh: a running cluster without this member gets it as a learner, then promotes it", () => {
    members(started("a1", "e-1", "10.0.0.1"));
    box.write("learner-busy-marker", "");
    fs.writeFileSync(path.join(box.stubDir, "learner-busy"), ""); // another new member is catching up first
    const run = box.run("etcd-install.sh", { ...MEMBER, KHA_ETCD_JOIN_DELAY: "0" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("the cluster is taking another member in (too many learner members)");
    expect(box.read("etc/kubeadm-ha/etcd-initial.env")).toBe(
      "ETCD_INITIAL_CLUSTER_STATE=existing\nETCD_INITIAL_CLUSTER=e-1=https://10.0.0.1:2380,e-2=https://10.0.0.2:2380\n",
    );
    expect(memberCalls().map((c) => c.replace(/ --[^ ]*/g, ""))).toEqual([
      "etcdctl member add e-2",
      "etcdctl member add e-2",
      "etcdctl member promote f00d",
    ]);
    expect(box.calls().find((c) => c.includes("member add"))).toContain("--learner");
    // asked only the other members, never itself
    expect(box.calls().filter((c) => c.startsWith("etcdctl") && c.includes("10.0.0.2:2379"))).toEqual([]);
    expect(box.calls().find((c) => c.includes("member list"))).toContain("--endpoints=https://10.0.0.1:2379 ");
    expect(fs.readFileSync(path.join(box.stubDir, "etcd-members"), "utf8")).toContain("f00d, started, promoted, https://10.0.0.2:2380");
  });

  it("etcd-install.sh: members that answer without quorum (a bootstrap under way) are no running cluster", () => {
    members("a1, unstarted, , https://10.0.0.1:2380, , false", "b2, unstarted, , https://10.0.0.2:2380, , false");
    expect(box.run("etcd-install.sh", { ...MEMBER, STUB_ETCD_NO_QUORUM: "1" }).status).toBe(0);
    expect(box.read("etc/kubeadm-ha/etcd-initial.env")).toBe(`ETCD_INITIAL_CLUSTER_STATE=new\nETCD_INITIAL_CLUSTER=${CONFIGURED}\n`);
    expect(memberCalls()).toEqual([]);
  });

  it("etcd-install.sh: a host whose member lost its data is replaced (remove, then add), never bootstrapped anew", () => {
    members(started("a1", "e-1", "10.0.0.1"), started("b2", "e-2", "10.0.0.2"), started("c3", "e-3", "10.0.0.3"));
    expect(box.run("etcd-install.sh", MEMBER).status).toBe(0);
    expect(memberCalls().map((c) => c.replace(/ --[^ ]*/g, ""))).toEqual([
      "etcdctl member remove b2",
      "etcdctl member add e-2",
      "etcdctl member promote f00d",
    ]);
    expect(box.read("etc/kubeadm-ha/etcd-initial.env")).toMatch(/^ETCD_INITIAL_CLUSTER_STATE=existing\n/);
  });

  it("etcd-install.sh: listed but never started (a bootstrap that raced ahead) joins as listed", () => {
    members(started("a1", "e-1", "10.0.0.1"), "b2, unstarted, , https://10.0.0.2:2380, , false", started("c3", "e-3", "10.0.0.3"));
    expect(box.run("etcd-install.sh", MEMBER).status).toBe(0);
    expect(memberCalls()).toEqual([]);
    expect(box.read("etc/kubeadm-ha/etcd-initial.env")).toBe(
      "ETCD_INITIAL_CLUSTER_STATE=existing\nETCD_INITIAL_CLUSTER=e-1=https://10.0.0.1:2380,e-2=https://10.0.0.2:2380,e-3=https://10.0.0.3:2380\n",
    );
  });

  it("etcd-health.sh removes a member the config dropped while quorum holds, then checks the list", () => {
    members(started("a1", "e-1", "10.0.0.1"), started("b2", "e-2", "10.0.0.2"), started("c3", "e-3", "10.0.0.3"));
    const env = {
      KHA_ETCD_ENDPOINTS: "https://10.0.0.1:2379,https://10.0.0.2:2379",
      KHA_ETCD_MEMBERS: "e-1=https://10.0.0.1:2380,e-2=https://10.0.0.2:2380",
    };
    const run = box.run("etcd-health.sh", { ...env, KHA_TRIES: "1", KHA_DELAY: "0" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("removing etcd member e-3 (https://10.0.0.3:2380): the config no longer lists it");
    expect(memberCalls().map((c) => c.replace(/ --[^ ]*/g, ""))).toEqual(["etcdctl member remove c3"]);
    expect(run.stdout).toContain("one cluster (111), members as configured");
    // (the member removed may have led: the others' health is awaited again before the checks)
    const calls = box.calls().map((c) => c.replace(/ --[^ ]*/g, ""));
    const removal = calls.indexOf("etcdctl member remove c3");
    expect(calls.slice(removal).filter((c) => c === "etcdctl endpoint health")).toHaveLength(1);
  });

  it("etcd-health.sh refuses a removal below quorum, two cluster IDs, and a member list unlike the config", () => {
    members(started("a1", "e-1", "10.0.0.1"), started("b2", "e-2", "10.0.0.2"), started("c3", "e-3", "10.0.0.3"));
    const one = {
      KHA_ETCD_ENDPOINTS: "https://10.0.0.1:2379",
      KHA_ETCD_MEMBERS: "e-1=https://10.0.0.1:2380",
      KHA_TRIES: "1",
      KHA_DELAY: "0",
    };
    // 3 -> 1 with e-3 down: removing the healthy e-2 first would leave e-1 and a dead e-3, no quorum
    const below = box.run("etcd-health.sh", { ...one, STUB_ETCD_UNHEALTHY: "https://10.0.0.3:2379" });
    expect(below.status).not.toBe(0);
    expect(below.stderr).toMatch(
      /not removing etcd member e-2 \(https:\/\/10\.0\.0\.2:2380\): 1 of the 2 members left answer, below quorum/,
    );
    expect(memberCalls()).toEqual([]);
    // with every member answering, 3 -> 1 goes one member at a time
    expect(box.run("etcd-health.sh", one).status).toBe(0);
    expect(memberCalls().map((c) => c.replace(/ --[^ ]*/g, ""))).toEqual(["etcdctl member remove b2", "etcdctl member remove c3"]);
    members(started("a1", "e-1", "10.0.0.1"), started("b2", "e-2", "10.0.0.2"), started("c3", "e-3", "10.0.0.3"));
    const twoClusters = box.run("etcd-health.sh", {
      KHA_ETCD_ENDPOINTS: "https://10.0.0.1:2379",
      KHA_ETCD_MEMBERS: CONFIGURED,
      STUB_ETCD_OTHER_CLUSTER: "1",
      KHA_TRIES: "1",
      KHA_DELAY: "0",
    });
    expect(twoClusters.status).not.toBe(0);
    expect(twoClusters.stderr).toMatch(/different cluster IDs/);
    members(
      started("a1", "e-1", "10.0.0.1"),
      "f00d, started, e-2, https://10.0.0.2:2380, https://10.0.0.2:2379, true",
      started("c3", "e-3", "10.0.0.3"),
    );
    const learner = box.run("etcd-health.sh", {
      KHA_ETCD_ENDPOINTS: "https://10.0.0.1:2379",
      KHA_ETCD_MEMBERS: CONFIGURED,
      KHA_TRIES: "1",
      KHA_DELAY: "0",
    });
    expect(learner.status).not.toBe(0);
    expect(learner.stderr).toMatch(/still a learner/);
  });

  it("etcd-reset.sh removes unit, data, certificates and binaries, and can run twice", () => {
    box.run("etcd-install.sh", MEMBER);
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

  describe("snapshots and restore", () => {
    const SNAP = { KHA_ETCD_ENDPOINTS: "https://10.0.0.1:2379,https://10.0.0.2:2379", KHA_SNAPSHOT_LABEL: "before-upgrade" };
    const snapshots = () =>
      fs
        .readdirSync(path.join(box.root, "var/lib/kubeadm-ha/etcd-snapshots"))
        .filter((f) => f.endsWith(".db"))
        .sort();

    it("etcd-snapshot.sh saves a verified snapshot from the first member that answers, with its checksum", () => {
      const run = box.run("etcd-snapshot.sh", { ...SNAP, STUB_ETCD_UNHEALTHY: "https://10.0.0.1:2379" });
      expect(run.status).toBe(0);
      const [file] = snapshots();
      expect(file).toMatch(/^\d{8}T\d{6}Z-before-upgrade\.db$/);
      const dir = "var/lib/kubeadm-ha/etcd-snapshots";
      expect(box.read(`${dir}/${file}`)).toBe("snapshot of https://10.0.0.2:2379\n");
      expect(box.read(`${dir}/${file}.sha256`)).toMatch(new RegExp(`^[0-9a-f]{64}  ${file}\n$`));
      expect(run.stdout).toContain(`snapshot of https://10.0.0.2:2379 at revision 42: /var/lib/kubeadm-ha/etcd-snapshots/${file}`);
      expect((fs.statSync(path.join(box.root, dir)).mode & 0o777).toString(8)).toBe("700");
    });

    it("etcd-snapshot.sh keeps only the newest etcdSnapshots.keep", () => {
      const dir = "var/lib/kubeadm-ha/etcd-snapshots";
      for (const old of ["20250101T000000Z-a.db", "20250102T000000Z-b.db", "20250103T000000Z-c.db"]) {
        box.write(`${dir}/${old}`, "snapshot of x\n");
        box.write(`${dir}/${old}.sha256`, "x");
      }
      const run = box.run("etcd-snapshot.sh", { ...SNAP, KHA_SNAPSHOT_KEEP: "2" });
      expect(run.status).toBe(0);
      expect(snapshots()).toEqual(["20250103T000000Z-c.db", expect.stringMatching(/-before-upgrade\.db$/)]);
      expect(box.exists(`${dir}/20250101T000000Z-a.db.sha256`)).toBe(false);
      expect(run.stdout).toContain("removed the old snapshot 20250101T000000Z-a.db (etcdSnapshots.keep: 2)");
    });

    it("etcd-snapshot.sh: nothing to snapshot on a new cluster; a warning when a member with data finds none answering", () => {
      const fresh = box.run("etcd-snapshot.sh", { ...SNAP, STUB_ETCD_DOWN: "1" });
      expect(fresh.status).toBe(0);
      expect(fresh.stdout).toContain("no etcd member answers yet (a new cluster): nothing to snapshot");
      box.write("var/lib/etcd/member/wal", "x");
      const down = box.run("etcd-snapshot.sh", { ...SNAP, STUB_ETCD_DOWN: "1" });
      expect(down.status).toBe(0);
      expect(down.stdout).toContain(
        "WARNING: no etcd member answers (https://10.0.0.1:2379,https://10.0.0.2:2379): no snapshot before this change",
      );
      expect(snapshots()).toEqual([]);
    });

    describe("etcd-restore.sh", () => {
      const snapshotFile = "var/lib/kubeadm-ha/etcd-snapshots/20260101T000000Z-x.db";
      const RESTORE = { KHA_SNAPSHOT: `/${snapshotFile}`, KHA_ETCD_INITIAL_CLUSTER: CONFIGURED };
      beforeEach(() => {
        box.write("etc/etcd.env", "ETCD_NAME=e-2\nETCD_INITIAL_ADVERTISE_PEER_URLS=https://10.0.0.2:2380\nETCD_INITIAL_CLUSTER_TOKEN=c1\n");
        box.write(snapshotFile, "snapshot of https://10.0.0.1:2379\n");
        box.write("var/lib/etcd/member/wal", "the lost data");
      });
      const withRoot = (env: Record<string, string>) => ({ ...env, KHA_SNAPSHOT: path.join(box.root, env.KHA_SNAPSHOT) });

      it("restores this member as one of the listed cluster, keeps the old data aside, starts etcd", () => {
        box.write("etc/kubernetes/manifests/kube-apiserver.yaml", "x");
        const run = box.run("etcd-restore.sh", withRoot(RESTORE));
        expect(run.status).toBe(0);
        expect(box.read("var/lib/etcd/member/restored-from")).toBe("snapshot of https://10.0.0.1:2379\n");
        const args = box.read("var/lib/etcd/member/restore-args");
        for (const flag of [
          "--name=e-2",
          `--initial-cluster=${CONFIGURED}`,
          `--initial-cluster-token=c1-restore-${crypto.createHash("sha256").update("snapshot of https://10.0.0.1:2379\n").digest("hex").slice(0, 12)}`,
          "--initial-advertise-peer-urls=https://10.0.0.2:2380",
        ])
          expect(args).toContain(flag);
        const aside = fs.readdirSync(path.join(box.root, "var/lib")).filter((d) => d.startsWith("etcd.before-restore-"));
        expect(aside).toHaveLength(1);
        expect(box.read(`var/lib/${aside[0]}/member/wal`)).toBe("the lost data");
        const calls = box.calls();
        expect(calls.indexOf("systemctl stop etcd.service")).toBeGreaterThan(-1);
        expect(calls.indexOf("systemctl start --no-block etcd.service")).toBeGreaterThan(calls.indexOf("systemctl stop etcd.service"));
        // (the control plane is stopped and started by steps of its own, on every control plane)
        expect(box.read("etc/kubernetes/manifests/kube-apiserver.yaml")).toBe("x");
      });

      it("stop-control-plane holds the manifests aside until the components ended; start-control-plane brings them back, ready", () => {
        for (const c of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) box.write(`etc/kubernetes/manifests/${c}.yaml`, c);
        runs("4242", "kube-apiserver");
        // still running after its manifest went: the step waits, bounded, and says for what
        const stuck = box.run("etcd-restore.sh", { KHA_STATIC_POD_TRIES: "1" }, "", ["stop-control-plane"]);
        expect(stuck.status).not.toBe(0);
        expect(stuck.stderr).toContain("timed out waiting for kube-apiserver to stop");
        fs.rmSync(path.join(box.root, "..", "proc", "4242"), { recursive: true, force: true });
        const stop = box.run("etcd-restore.sh", {}, "", ["stop-control-plane"]);
        expect(stop.status).toBe(0);
        expect(fs.readdirSync(path.join(box.root, "etc/kubernetes/manifests"))).toEqual([]);
        expect(box.read("var/lib/kubeadm-ha/restore-held-manifests/kube-scheduler.yaml")).toBe("kube-scheduler");
        runs("5555", "kube-apiserver");
        const start = box.run("etcd-restore.sh", {}, "", ["start-control-plane"]);
        expect(start.status).toBe(0);
        expect(start.stdout).toContain("the control plane runs again on the restored data");
        expect(fs.readdirSync(path.join(box.root, "etc/kubernetes/manifests")).sort()).toEqual([
          "kube-apiserver.yaml",
          "kube-controller-manager.yaml",
          "kube-scheduler.yaml",
        ]);
        expect(box.exists("var/lib/kubeadm-ha/restore-held-manifests")).toBe(false);
        expect(box.run("etcd-restore.sh", {}, "", ["start-control-plane"]).stderr).toContain("run stop-control-plane first");
      });

      it("refuses a snapshot that does not verify, a member not listed, and changes nothing then", () => {
        box.write(snapshotFile, "garbage\n");
        const bad = box.run("etcd-restore.sh", withRoot(RESTORE));
        expect(bad.status).not.toBe(0);
        expect(bad.stderr).toContain("is not a valid etcd snapshot");
        box.write(snapshotFile, "snapshot of https://10.0.0.1:2379\n");
        box.write(`${snapshotFile}.sha256`, `${"0".repeat(64)}  x.db\n`);
        expect(box.run("etcd-restore.sh", withRoot(RESTORE)).stderr).toContain("checksum mismatch");
        fs.rmSync(path.join(box.root, `${snapshotFile}.sha256`));
        const unlisted = box.run("etcd-restore.sh", withRoot({ ...RESTORE, KHA_ETCD_INITIAL_CLUSTER: "e-1=https://10.0.0.1:2380" }));
        expect(unlisted.stderr).toContain("this member (e-2=https://10.0.0.2:2380) is not in KHA_ETCD_INITIAL_CLUSTER");
        expect(box.read("var/lib/etcd/member/wal")).toBe("the lost data");
        expect(box.calls().filter((c) => c.startsWith("systemctl"))).toEqual([]);
      });
    });
  });
});

describe("kubeadm scripts", () => {
  beforeEach(() => {
    box.write("etc/kubeadm-ha/kubeadm.yaml", "kind: InitConfiguration\n");
    box.write("etc/kubernetes/pki/ca.crt", "ca");
  });

  it("kubeadm-init.sh initialises once and regenerates manifests only when settings change", () => {
    expect(box.run("kubeadm-init.sh", INIT_ENV).status).toBe(0);
    expect(box.calls().filter((c) => c.startsWith("kubeadm init --config"))).toHaveLength(1);
    expect(box.run("kubeadm-init.sh", INIT_ENV).stdout).toContain("already initialised, nothing changed");
    box.write("etc/kubeadm-ha/kubeadm.yaml", "kind: InitConfiguration\n# changed\n");
    box.run("kubeadm-init.sh", INIT_ENV);
    expect(box.calls().filter((c) => c.startsWith("kubeadm init phase control-plane all"))).toHaveLength(1);
    expect(box.calls().filter((c) => c.startsWith("kubeadm init --config"))).toHaveLength(1);
  });

  it("kubeadm-init.sh deletes kubeadm's unused 24-hour default bootstrap token after its init, once, and no other", () => {
    const first = box.run("kubeadm-init.sh", INIT_ENV);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("deleted kubeadm's default bootstrap token");
    // (the list also shows a join token of ours: kept, its own step deletes it)
    expect(box.calls().filter((c) => c.startsWith("kubeadm token delete"))).toEqual([
      expect.stringMatching(/^kubeadm token delete --kubeconfig .*admin\.conf k8sdef$/),
    ]);
    expect(box.run("kubeadm-init.sh", INIT_ENV).stdout).not.toContain("deleted");
    expect(box.calls().filter((c) => c.startsWith("kubeadm token delete"))).toHaveLength(1);
  });

  describe("kubeadm-init.sh runs kubeadm init once per cluster, ever", () => {
    const IN_ETCD = { ...INIT_ENV, STUB_ETCD_RANGE: '{"header":{"cluster_id":"1"},"count":"1"}' };
    beforeEach(() => box.write("etc/kubeadm-ha/kubeadm-rejoin.yaml", "kind: JoinConfiguration\n"));

    it("asks etcd, with the apiserver's client certificate, whether the cluster exists; an empty etcd gets kubeadm init", () => {
      expect(box.run("kubeadm-init.sh", INIT_ENV).status).toBe(0);
      const ask = box.calls().find((c) => c.includes("/v3/kv/range"));
      expect(ask).toContain("https://10.0.0.1:2379/v3/kv/range");
      expect(ask).toContain("apiserver-etcd-client.crt");
      expect(ask).toContain(Buffer.from("/registry/namespaces/kube-system").toString("base64"));
      expect(box.calls().filter((c) => c.startsWith("kubeadm init --config"))).toHaveLength(1);
      expect(box.exists("var/lib/kubeadm-ha/init-started")).toBe(false);
    });

    it("a host that lost its state while etcd holds the cluster rejoins through another control plane, never inits", () => {
      const run = box.run("kubeadm-init.sh", { ...IN_ETCD, STUB_NODE_READY: "False" });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain("etcd already holds this cluster: joining it as a control plane instead of kubeadm init");
      const calls = box.calls();
      expect(calls.filter((c) => c.startsWith("kubeadm init --config"))).toEqual([]);
      expect(calls).toContainEqual(
        expect.stringMatching(/^kubeadm init phase kubeconfig admin --config \S+kubeadm\.yaml --kubeconfig-dir /),
      );
      // the first other apiserver that answers (the stub answers every one)
      expect(calls).toContainEqual(expect.stringMatching(/--server https:\/\/10\.0\.0\.2:6443 .*get --raw \/readyz/));
      expect(calls).toContainEqual(expect.stringMatching(/delete node cp-1$/));
      expect(calls).toContainEqual(expect.stringMatching(/^kubeadm token create .*--ttl 15m --description kubeadm-ha join of cp-1$/));
      expect(calls).toContainEqual(expect.stringMatching(/^kubeadm join --config \S+kubeadm-rejoin\.yaml$/));
      expect(calls).toContainEqual(expect.stringMatching(/^kubeadm token delete --kubeconfig \S+admin\.conf abcdef$/));
      // the discovery file held the token: gone, and the token was never printed
      expect(box.exists("etc/kubeadm-ha/discovery.conf")).toBe(false);
      expect(run.stdout + run.stderr).not.toContain("0123456789abcdef");
      // a second run is an initialised control plane
      box.write("etc/kubernetes/admin.conf", "admin");
      expect(box.run("kubeadm-init.sh", IN_ETCD).stdout).toContain("already initialised");
    });

    it("refuses to join over a Node of its name that is still Ready (another machine under this name)", () => {
      const run = box.run("kubeadm-init.sh", { ...IN_ETCD, STUB_NODE_READY: "True", KHA_NODE_GONE_TRIES: "1" });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/the Node cp-1 of the lost host to go NotReady \(is another machine running under this name\?\)/);
      expect(box.calls().filter((c) => c.startsWith("kubeadm join") || c.startsWith("kubeadm init --config"))).toEqual([]);
    });

    it("refuses when etcd holds the cluster but no other apiserver answers: init would overwrite it", () => {
      const run = box.run("kubeadm-init.sh", { ...IN_ETCD, STUB_KUBECTL_API_EXIT: "1" });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain("no other control plane's apiserver answers (10.0.0.2:6443 10.0.0.3:6443)");
      expect(box.calls().filter((c) => c.startsWith("kubeadm join") || c.startsWith("kubeadm init --config"))).toEqual([]);
    });

    it("refuses when no etcd endpoint answers: it cannot tell", () => {
      const run = box.run("kubeadm-init.sh", { ...INIT_ENV, STUB_ETCD_DOWN: "1" });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain("no etcd endpoint answers (https://10.0.0.1:2379)");
      expect(box.calls().filter((c) => c.startsWith("kubeadm"))).toEqual([]);
    });

    it("finishes its own interrupted init (the mark it leaves until kubeadm init succeeded)", () => {
      box.write("var/lib/kubeadm-ha/init-started", "");
      expect(box.run("kubeadm-init.sh", IN_ETCD).status).toBe(0);
      expect(box.calls().filter((c) => c.startsWith("kubeadm init --config"))).toHaveLength(1);
      expect(box.exists("var/lib/kubeadm-ha/init-started")).toBe(false);
    });

    it("an init killed after it wrote admin.conf is reset (certificates kept) and run again, not taken as done", () => {
      box.write("var/lib/kubeadm-ha/init-started", "");
      box.write("etc/kubernetes/admin.conf", "partial");
      box.write("etc/kubernetes/pki/etcd/server.key", "etcd member key");
      box.write("var/lib/etcd/member/wal/0.wal", "this host's etcd member");
      const run = box.run("kubeadm-init.sh", IN_ETCD);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain("this host's last kubeadm init or join did not finish: resetting what it left and running it again");
      expect(run.stdout).not.toContain("already initialised");
      const calls = box.calls();
      const reset = calls.findIndex((c) => c.startsWith("kubeadm reset"));
      expect(calls[reset]).toMatch(/^kubeadm reset -f --cri-socket \S+ --cert-dir \/tmp\/\S+ --skip-phases=remove-etcd-member$/);
      expect(calls[reset]).not.toContain("etc/kubernetes/pki");
      expect(calls.findIndex((c) => c.startsWith("kubeadm init --config"))).toBeGreaterThan(reset);
      // (the partial init's Node is deleted with the admin credential it left)
      expect(calls).toContainEqual(expect.stringMatching(/^kubectl --kubeconfig \S+admin\.conf .*delete node cp-1 --ignore-not-found$/));
      expect(box.read("etc/kubernetes/pki/ca.crt")).toBe("ca");
      expect(box.read("etc/kubernetes/pki/etcd/server.key")).toBe("etcd member key");
      // (kubeadm reset never touches the data of the etcd member this host runs)
      expect(box.read("var/lib/etcd/member/wal/0.wal")).toBe("this host's etcd member");
      expect(box.exists("var/lib/kubeadm-ha/init-started")).toBe(false);
      expect(box.run("kubeadm-init.sh", IN_ETCD).stdout).toContain("already initialised");
    });

    it("an interrupted rejoin is reset and joins again, never taken as an initialised control plane", () => {
      box.write("var/lib/kubeadm-ha/join-started", "");
      box.write("etc/kubernetes/admin.conf", "partial");
      const run = box.run("kubeadm-init.sh", { ...IN_ETCD, STUB_NODE_ABSENT: "1" });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain("etcd already holds this cluster: joining it as a control plane instead of kubeadm init");
      const calls = box.calls();
      expect(calls.findIndex((c) => c.startsWith("kubeadm join --config"))).toBeGreaterThan(
        calls.findIndex((c) => c.startsWith("kubeadm reset")),
      );
      expect(calls.filter((c) => c.startsWith("kubeadm init --config"))).toEqual([]);
      expect(box.exists("var/lib/kubeadm-ha/join-started")).toBe(false);
    });
  });

  it("a control plane whose apiserver manifest changed waits for the new apiserver before the next node's turn", () => {
    box.write("etc/kubernetes/kubelet.conf", "kubelet");
    box.write("etc/kubernetes/admin.conf", "admin");
    runs("4242", "kube-apiserver");
    const env = { KHA_CONTROL_PLANE: "true", KHA_APISERVER_RESTART_TRIES: "1" };
    // the kubelet never restarts it: the step fails, saying what it waited for
    box.write(
      "var/log/pods/kube-system_kube-apiserver-n1_0001/kube-apiserver/0.log",
      "I1207 starting\nE1207 etcd client: connection refused\n",
    );
    const stuck = box.run("kubeadm-join.sh", {
      ...env,
      STUB_APISERVER_RESTARTS: "0",
      STUB_JOURNAL: "kubelet: Killing container kube-apiserver\\nkubelet: unrelated\\n",
    });
    expect(stuck.status).not.toBe(0);
    expect(stuck.stderr).toContain("timed out waiting for the kubelet to restart the apiserver with its new manifest, ready");
    // and shows what an operator looks at first: the process, the end of its log, the kubelet's words
    expect(stuck.stderr).toContain("apiserver process before the change: 4242, now: 4242");
    expect(stuck.stderr).toContain("  E1207 etcd client: connection refused");
    expect(stuck.stderr).toContain("  kubelet: Killing container kube-apiserver");
    // (a failed apply is tried again: its settings are not recorded as applied)
    const restarted = box.run("kubeadm-join.sh", env);
    expect(restarted.status).toBe(0);
    expect(restarted.stdout).toContain("the apiserver restarted and is ready");
  });

  describe("certificate renewal on the control planes", () => {
    const RENEWAL = "etc/kubeadm-ha/kubeconfig-renewal";
    const stops = () => box.calls().filter((c) => c.startsWith("kill "));
    beforeEach(() => {
      box.write(RENEWAL, "kubeadm's kubeconfigs: renew before 2027-12-06T00:00:00Z\n");
      box.write("etc/kubernetes/pki/apiserver.crt", "apiserver 1");
      runs("4242", "kube-apiserver");
      // (the kernel keeps 15 characters of a command's name)
      runs("5000", "kube-controller");
      runs("5001", "kube-scheduler");
      // (the manifest kubeadm init wrote, which the same settings make again)
      box.write("etc/kubernetes/manifests/kube-apiserver.yaml", "same\n");
    });

    it("renewed certificates under an unchanged manifest restart the apiserver and wait for it; other settings restart nothing", () => {
      const env = { ...INIT_ENV, STUB_MANIFEST_SAME: "1" };
      expect(box.run("kubeadm-init.sh", env).status).toBe(0);
      box.write("etc/kubeadm-ha/kubeadm.yaml", "kind: InitConfiguration\n# another setting\n");
      expect(box.run("kubeadm-init.sh", env).status).toBe(0);
      expect(stops()).toEqual([]);
      box.write("etc/kubernetes/pki/apiserver.crt", "apiserver 2");
      const renewed = box.run("kubeadm-init.sh", env);
      expect(renewed.status).toBe(0);
      expect(renewed.stdout).toContain("certificates renewed: restarting the apiserver");
      expect(renewed.stdout).toContain("the apiserver restarted and is ready");
      expect(stops()).toEqual(["kill -TERM 4242"]);
      expect(box.run("kubeadm-init.sh", env).stdout).toContain("already initialised, nothing changed");
      expect(stops()).toHaveLength(1);
    });

    it("a new renewal clock renews every kubeadm kubeconfig present, restarts the controller-manager and scheduler, prints the expiries", () => {
      expect(box.run("kubeadm-init.sh", INIT_ENV).status).toBe(0);
      // (just made by kubeadm init: nothing to renew)
      expect(box.calls().filter((c) => c.startsWith("kubeadm certs renew"))).toEqual([]);
      box.write("etc/kubernetes/controller-manager.conf", "cm");
      box.write("etc/kubernetes/scheduler.conf", "scheduler");
      expect(box.run("kubeadm-init.sh", INIT_ENV).stdout).toContain("nothing changed");
      box.write(RENEWAL, "kubeadm's kubeconfigs: renew before 2028-12-06T00:00:00Z\n");
      const run = box.run("kubeadm-init.sh", INIT_ENV);
      expect(run.status).toBe(0);
      expect(box.calls().filter((c) => c.startsWith("kubeadm certs renew"))).toEqual([
        expect.stringMatching(/^kubeadm certs renew admin\.conf --config \S+kubeadm\.yaml$/),
        expect.stringMatching(/^kubeadm certs renew controller-manager\.conf /),
        expect.stringMatching(/^kubeadm certs renew scheduler\.conf /),
      ]);
      expect(stops()).toEqual(["kill -TERM 5000", "kill -TERM 5001"]);
      expect(run.stdout).toContain(
        "renewed admin.conf controller-manager.conf scheduler.conf (kubeadm's kubeconfigs: renew before 2028-12-06T00:00:00Z)",
      );
      expect(run.stdout).toContain("admin.conf Dec 06, 2027");
      box.run("kubeadm-init.sh", INIT_ENV);
      expect(box.calls().filter((c) => c.startsWith("kubeadm certs renew"))).toHaveLength(3);
    });

    it("the same on a joined control plane; a worker renews nothing", () => {
      box.write("etc/kubernetes/kubelet.conf", "kubelet");
      box.write("etc/kubernetes/admin.conf", "admin");
      box.write("var/lib/kubeadm-ha/kubeconfig-renewal.sum", "recorded earlier\n");
      expect(box.run("kubeadm-join.sh", { KHA_CONTROL_PLANE: "false" }).status).toBe(0);
      expect(box.calls().filter((c) => c.startsWith("kubeadm certs renew"))).toEqual([]);
      expect(box.run("kubeadm-join.sh", { KHA_CONTROL_PLANE: "true" }).status).toBe(0);
      expect(box.calls().filter((c) => c.startsWith("kubeadm certs renew"))).toEqual([
        expect.stringMatching(/^kubeadm certs renew admin\.conf /),
      ]);
    });

    it("a control plane of an earlier release restarts nothing for certificates it applied already", () => {
      expect(box.run("kubeadm-init.sh", { ...INIT_ENV, STUB_MANIFEST_SAME: "1" }).status).toBe(0);
      fs.rmSync(path.join(box.root, "var/lib/kubeadm-ha/control-plane-certs.sum"));
      // (its certificates are older than its last applied settings)
      const old = new Date(Date.now() - 3600_000);
      for (const f of fs.readdirSync(path.join(box.root, "etc/kubernetes/pki")).filter((f) => /\.(crt|key)$/.test(f)))
        fs.utimesSync(path.join(box.root, "etc/kubernetes/pki", f), old, old);
      box.write("etc/kubeadm-ha/kubeadm.yaml", "kind: InitConfiguration\n# certificateValidityPeriod, new in this release\n");
      expect(box.run("kubeadm-init.sh", { ...INIT_ENV, STUB_MANIFEST_SAME: "1" }).status).toBe(0);
      expect(stops()).toEqual([]);
    });
  });

  it("kubeadm-init.sh leaves the tokens of a cluster it did not just initialise alone (an operator's own)", () => {
    box.write("etc/kubernetes/admin.conf", "admin");
    expect(box.run("kubeadm-init.sh", INIT_ENV).status).toBe(0);
    expect(box.calls().filter((c) => c.startsWith("kubeadm token delete"))).toEqual([]);
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

  describe("kubeadm-join.sh after an interrupted join", () => {
    const WORKER = { KHA_NODE_NAME: "w-1", KHA_CONTROL_PLANE: "false" };
    beforeEach(() => box.write("etc/kubeadm-ha/kubeadm-join.yaml", "token: abc\n", 0o600));

    it("keeps its mark when kubeadm join fails, so the next run knows", () => {
      box.write("etc/kubeadm-ha/kubeadm-join.yaml", "no credential\n", 0o600);
      expect(box.run("kubeadm-join.sh", WORKER).status).not.toBe(0);
      expect(box.exists("var/lib/kubeadm-ha/join-started")).toBe(true);
    });

    it("a worker killed after its kubelet registered: Node deleted with its own credential, reset, joined again", () => {
      box.write("var/lib/kubeadm-ha/join-started", "");
      box.write("etc/kubernetes/kubelet.conf", "kubelet");
      box.write("etc/kubernetes/pki/ca.crt", "ca from discovery");
      box.write("etc/kubernetes/pki/etcd/peer.key", "etcd on this worker");
      const run = box.run("kubeadm-join.sh", WORKER);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain("this host's last kubeadm join did not finish: resetting what it left and joining again");
      const calls = box.calls();
      expect(calls).toContainEqual(expect.stringMatching(/^kubectl --kubeconfig \S+kubelet\.conf .*delete node w-1 --ignore-not-found$/));
      expect(calls.filter((c) => c.startsWith("kubeadm join"))).toHaveLength(1);
      expect(calls.findIndex((c) => c.startsWith("kubeadm join"))).toBeGreaterThan(calls.findIndex((c) => c.startsWith("kubeadm reset")));
      // kubeadm join's ca.crt goes with the reset; etcd's certificates stay
      expect(box.exists("etc/kubernetes/pki/ca.crt")).toBe(false);
      expect(box.read("etc/kubernetes/pki/etcd/peer.key")).toBe("etcd on this worker");
      expect(box.exists("var/lib/kubeadm-ha/join-started")).toBe(false);
      box.write("etc/kubeadm-ha/kubeadm-join.yaml", "token: abc\n", 0o600);
      expect(box.run("kubeadm-join.sh", WORKER).stdout).toContain("already joined");
    });

    it("a control plane keeps the certificates ClusterPki placed", () => {
      box.write("var/lib/kubeadm-ha/join-started", "");
      box.write("etc/kubernetes/admin.conf", "admin");
      expect(box.run("kubeadm-join.sh", { ...WORKER, KHA_NODE_NAME: "cp-2", KHA_CONTROL_PLANE: "true" }).status).toBe(0);
      expect(box.calls()).toContainEqual(
        expect.stringMatching(/^kubectl --kubeconfig \S+admin\.conf .*delete node cp-2 --ignore-not-found$/),
      );
      expect(box.read("etc/kubernetes/pki/ca.crt")).toBe("ca");
    });
  });

  it("kubeadm-join.sh brings a node that joined earlier along when kubeletServingCerts changes, once", () => {
    box.write("etc/kubernetes/kubelet.conf", "kubelet");
    box.write("var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\nrotateCertificates: true\n");
    const kubeletRestarts = () => box.calls().filter((c) => c === "systemctl restart kubelet").length;
    for (let i = 0; i < 2; i++) expect(box.run("kubeadm-join.sh", { KHA_KUBELET_SERVING_CERTS: "true" }).status).toBe(0);
    expect(box.read("var/lib/kubelet/config.yaml")).toBe(
      "kind: KubeletConfiguration\nrotateCertificates: true\nserverTLSBootstrap: true\n",
    );
    expect(kubeletRestarts()).toBe(1);
    for (let i = 0; i < 2; i++) expect(box.run("kubeadm-join.sh", { KHA_KUBELET_SERVING_CERTS: "false" }).status).toBe(0);
    expect(box.read("var/lib/kubelet/config.yaml")).toBe("kind: KubeletConfiguration\nrotateCertificates: true\n");
    expect(kubeletRestarts()).toBe(2);
  });

  it("kubeadm-token.sh prints only a short-lived token", () => {
    const run = box.run("kubeadm-token.sh", { KHA_FOR: "w-1" });
    expect(run.stdout).toBe("abcdef.0123456789abcdef\n");
    expect(box.calls()[0]).toMatch(/kubeadm token create .*--ttl 30m --description kubeadm-ha join of w-1/);
  });

  it("kubeadm-token-delete.sh deletes the node's token once, never printing it, and accepts one already gone", () => {
    const first = box.run("kubeadm-token-delete.sh", { KHA_FOR: "w-1", KHA_TOKEN_ID: "abcdef" });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("deleted the bootstrap token w-1 joined with");
    expect(box.calls().filter((c) => c.startsWith("kubeadm token delete"))).toEqual([
      "kubeadm token delete --kubeconfig " + path.join(box.root, "etc/kubernetes/admin.conf") + " abcdef",
    ]);
    const again = box.run("kubeadm-token-delete.sh", { KHA_FOR: "w-1", KHA_TOKEN_ID: "abcdef" });
    expect(again.stdout).toContain("already gone");
    expect(box.calls().filter((c) => c.startsWith("kubeadm token delete"))).toHaveLength(1);
    expect(first.stdout + first.stderr + again.stdout + again.stderr).not.toContain("0123456789abcdef");
    expect(box.run("kubeadm-token-delete.sh", { KHA_FOR: "w-1", KHA_TOKEN_ID: "x;id" }).status).toBe(2);
  });

  it("node-leave.sh cordons, drains (bounded) and deletes a leaving worker's Node; skips when the API is gone", () => {
    box.write("etc/kubernetes/admin.conf", "admin");
    const run = box.run("node-leave.sh", { KHA_LEAVING: "w-1", KHA_DRAIN_TIMEOUT: "30s" });
    expect(run.status).toBe(0);
    const kubectl = box.calls().filter((c) => c.startsWith("kubectl") && !c.includes("/readyz") && !c.includes("get node "));
    expect(kubectl.map((c) => c.replace(/--kubeconfig \S+ --request-timeout=10s /, ""))).toEqual([
      "kubectl cordon w-1",
      "kubectl drain w-1 --ignore-daemonsets --delete-emptydir-data --timeout=30s",
      "kubectl delete node w-1 --wait=false",
    ]);
    // a drain that cannot finish (a PodDisruptionBudget) still ends, deleting the Node
    const stuck = box.run("node-leave.sh", { KHA_LEAVING: "w-1", STUB_KUBECTL_DRAIN_EXIT: "1" });
    expect(stuck.status).toBe(0);
    expect(stuck.stdout).toContain("did not finish within 120s");
    expect(box.calls().filter((c) => c.includes("delete node w-1"))).toHaveLength(2);
    const gone = box.run("node-leave.sh", { KHA_LEAVING: "w-1", STUB_KUBECTL_API_EXIT: "1" });
    expect(gone.status).toBe(0);
    expect(gone.stdout).toContain("the API does not answer");
    expect(box.calls().filter((c) => c.includes("delete node w-1"))).toHaveLength(2);
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
    expect(box.calls()).toContainEqual(
      expect.stringMatching(
        /^kubeadm reset -f --cri-socket unix:\/\/\/run\/containerd\/containerd\.sock --cert-dir \S+ --skip-phases=remove-etcd-member$/,
      ),
    );
  });

  it("kubeadm-reset.sh on a host that keeps its etcd member (no longer a control plane) leaves the member whole", () => {
    box.write("etc/systemd/system/etcd.service", "[Service]\n");
    box.write("var/lib/etcd/member/wal/0.wal", "data");
    box.write("etc/kubernetes/pki/etcd/peer.key", "peer key");
    box.write("etc/kubernetes/pki/ca.key", "cluster CA key");
    box.write("etc/kubernetes/admin.conf", "admin");
    box.write("etc/kubeadm-ha/etcd-initial.env", "ETCD_INITIAL_CLUSTER_STATE=new\n");
    box.write("etc/kubeadm-ha/kubeadm.yaml", "x");
    expect(box.run("kubeadm-reset.sh").status).toBe(0);
    expect(box.read("var/lib/etcd/member/wal/0.wal")).toBe("data");
    expect(box.read("etc/kubernetes/pki/etcd/peer.key")).toBe("peer key");
    expect(box.exists("etc/kubeadm-ha/etcd-initial.env")).toBe(true);
    for (const gone of ["etc/kubernetes/pki/ca.key", "etc/kubernetes/admin.conf", "etc/kubeadm-ha/kubeadm.yaml"])
      expect(box.exists(gone)).toBe(false);
    // the member's own reset, later, leaves nothing
    expect(box.run("etcd-reset.sh").status).toBe(0);
    for (const gone of ["var/lib/etcd", "etc/kubernetes", "etc/kubeadm-ha"]) expect(box.exists(gone)).toBe(false);
  });
});

describe("rolling upgrades: kubeadm-upgrade.sh and node-drain.sh", () => {
  const kubelet = (version: string) => `#!/bin/sh\necho Kubernetes ${version}\n`;
  const UP = { KHA_KUBERNETES_VERSION: "1.35.4", KHA_NODE_NAME: "cp-1", STUB_NODE_READY: "True" };
  beforeEach(() => {
    // the running node (1.34.1) and what host-prep staged (1.35.4)
    box.write("usr/local/bin/kubelet", kubelet("v1.34.1"), 0o755);
    box.write("usr/local/bin/kubeadm", "old kubeadm", 0o755);
    // (as copied: without the executable bit)
    box.write("opt/kubeadm-ha/artifacts/bin/kubeadm", "#!/bin/sh\necho v1.35.4\n", 0o644);
    box.write("opt/kubeadm-ha/artifacts/bin/kubelet", kubelet("v1.35.4"), 0o644);
    box.write("opt/kubeadm-ha/artifacts/bin/kubectl", "#!/bin/sh\n", 0o644);
    box.write("etc/kubernetes/admin.conf", "admin");
    box.write("etc/kubernetes/kubelet.conf", "kubelet");
    box.write("etc/kubeadm-ha/kubeadm.yaml", "kind: ClusterConfiguration\nkubernetesVersion: v1.35.4\n");
  });
  const kubeadmAndKubectl = () =>
    box.calls().filter((c) => /^(kubeadm|kubectl .* (cordon|drain|uncordon)|systemctl restart kubelet)/.test(c));

  it("apply: the kubelet settings first, kubeadm upgrade apply without certificate renewal, drain, kubelet, uncordon", () => {
    const run = box.run("kubeadm-upgrade.sh", { ...UP, KHA_IGNORE_PREFLIGHT: "SystemVerification" }, undefined, ["apply"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const steps = kubeadmAndKubectl().map((c) => c.replace(/ --kubeconfig \S+/g, "").replace(/ --request-timeout=10s/, ""));
    expect(steps).toEqual([
      expect.stringMatching(/^kubeadm init phase upload-config kubelet --config \S+kubeadm\.yaml$/),
      "kubeadm upgrade apply v1.35.4 --yes --certificate-renewal=false --ignore-preflight-errors SystemVerification",
      "kubectl cordon cp-1",
      "kubectl drain cp-1 --ignore-daemonsets --delete-emptydir-data --timeout=300s",
      "systemctl restart kubelet",
      "kubectl uncordon cp-1",
    ]);
    expect(box.read("usr/local/bin/kubeadm")).toContain("v1.35.4");
    expect(box.read("usr/local/bin/kubelet")).toContain("v1.35.4");
    expect(run.stdout).toContain("cp-1 runs v1.35.4");
    // a second run: the node runs the version, nothing happens
    const before = box.calls().length;
    expect(box.run("kubeadm-upgrade.sh", UP, undefined, ["apply"]).status).toBe(0);
    expect(
      box
        .calls()
        .slice(before)
        .filter((c) => c.startsWith("kubeadm") || c.startsWith("kubectl")),
    ).toEqual([]);
  });

  it("kubeadm-init.sh and kubeadm-join.sh upgrade their control plane before anything else, for the version in kubeadm.yaml", () => {
    box.write("etc/kubernetes/pki/ca.crt", "ca");
    expect(box.run("kubeadm-init.sh", { ...INIT_ENV, STUB_NODE_READY: "True" }).status).toBe(0);
    const calls = box.calls();
    const apply = calls.findIndex((c) => c.startsWith("kubeadm upgrade apply v1.35.4"));
    expect(apply).toBeGreaterThanOrEqual(0);
    expect(calls.findIndex((c) => c.startsWith("kubeadm init phase control-plane all"))).toBeGreaterThan(apply);
    box.write("usr/local/bin/kubelet", kubelet("v1.34.1"), 0o755);
    const join = box.run("kubeadm-join.sh", { KHA_NODE_NAME: "cp-2", KHA_CONTROL_PLANE: "true", STUB_NODE_READY: "True" });
    expect(join.status).toBe(0);
    expect(box.calls()).toContain("kubeadm upgrade node --certificate-renewal=false");
  });

  it("worker: kubeadm upgrade node and the kubelet, with the node's own credential; the drain is its control plane's", () => {
    const run = box.run("kubeadm-upgrade.sh", { ...UP, KHA_NODE_NAME: "w-1", KHA_UPGRADE_MODE: "worker" });
    expect(run.status).toBe(0);
    expect(kubeadmAndKubectl()).toEqual(["kubeadm upgrade node --certificate-renewal=false", "systemctl restart kubelet"]);
    expect(
      box
        .calls()
        .filter((c) => c.startsWith("kubectl"))
        .every((c) => c.includes("kubelet.conf")),
    ).toBe(true);
  });

  it("refuses a staged kubeadm of another version, a skipped minor and a downgrade, changing nothing", () => {
    box.write("opt/kubeadm-ha/artifacts/bin/kubeadm", "#!/bin/sh\necho v1.34.1\n", 0o755);
    const stale = box.run("kubeadm-upgrade.sh", UP, undefined, ["node"]);
    expect(stale.status).not.toBe(0);
    expect(stale.stderr).toContain("the staged kubeadm is v1.34.1, not v1.35.4");
    const skip = box.run("kubeadm-upgrade.sh", { ...UP, KHA_KUBERNETES_VERSION: "1.36.1" }, undefined, ["node"]);
    expect(skip.stderr).toContain("v1.36.1 skips one: upgrade to 1.35.x first");
    const down = box.run("kubeadm-upgrade.sh", { ...UP, KHA_KUBERNETES_VERSION: "1.33.9" }, undefined, ["node"]);
    expect(down.stderr).toContain("v1.33.9 would be a downgrade");
    expect(box.read("usr/local/bin/kubeadm")).toBe("old kubeadm");
    expect(box.calls().filter((c) => c.startsWith("kubeadm") || c.startsWith("kubectl") || c.startsWith("systemctl"))).toEqual([]);
  });

  it("a drain that does not finish fails, naming the node and the key; the next run finishes and uncordons", () => {
    const held = box.run("kubeadm-upgrade.sh", { ...UP, STUB_KUBECTL_DRAIN_EXIT: "1", KHA_DRAIN_TIMEOUT: "5s" }, undefined, ["node"]);
    expect(held.status).not.toBe(0);
    expect(held.stderr).toContain("the drain of cp-1 did not finish within 5s");
    expect(held.stderr).toContain("upgrade.drainTimeout");
    expect(box.read("usr/local/bin/kubelet")).toContain("v1.34.1");
    expect(box.exists("var/lib/kubeadm-ha/upgrade-cordoned")).toBe(true);
    expect(box.run("kubeadm-upgrade.sh", UP, undefined, ["node"]).status).toBe(0);
    expect(box.calls().filter((c) => c.includes("uncordon cp-1"))).toHaveLength(1);
    expect(box.exists("var/lib/kubeadm-ha/upgrade-cordoned")).toBe(false);
  });

  it("an apiserver that refuses the uncordon at first (restarted with the kubelet, caches filling) is asked again, bounded", () => {
    const run = box.run("kubeadm-upgrade.sh", { ...UP, STUB_UNCORDON_FAILS: "2" }, undefined, ["node"]);
    expect(run.status).toBe(0);
    expect(box.calls().filter((c) => c.endsWith("uncordon cp-1"))).toHaveLength(3);
    expect(box.exists("var/lib/kubeadm-ha/upgrade-cordoned")).toBe(false);
  });

  it("a node someone else cordoned is drained and upgraded, and stays cordoned (control plane and worker)", () => {
    fs.writeFileSync(path.join(box.stubDir, "cordoned"), "");
    const run = box.run("kubeadm-upgrade.sh", UP, undefined, ["node"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("cp-1 was cordoned before the upgrade: it stays cordoned after it");
    expect(box.calls().filter((c) => / (cordon|uncordon) cp-1/.test(c))).toEqual([]);
    expect(box.calls().filter((c) => / drain cp-1/.test(c))).toHaveLength(1);
    const env = { KHA_NODE: "w-1", KHA_KUBERNETES_VERSION: "1.35.4", STUB_NODE_VERSION: "v1.34.1" };
    expect(box.run("node-drain.sh", { ...env, KHA_ACTION: "drain" }).stdout).toContain("w-1 was cordoned before the upgrade");
    const left = box.run("node-drain.sh", { ...env, KHA_ACTION: "uncordon" });
    expect(left.stdout).toContain("w-1 was not cordoned for the upgrade: left as it is");
    expect(box.calls().filter((c) => / (uncordon|annotate node) w-1/.test(c))).toEqual([]);
  });

  it("a run interrupted after the kubelet changed still uncordons its control plane", () => {
    box.write("usr/local/bin/kubelet", kubelet("v1.35.4"), 0o755);
    box.write("var/lib/kubeadm-ha/upgrade-cordoned", "");
    expect(box.run("kubeadm-upgrade.sh", UP, undefined, ["node"]).status).toBe(0);
    expect(
      box
        .calls()
        .filter((c) => c.startsWith("kubectl"))
        .map((c) => c.split(" ").slice(-2).join(" ")),
    ).toEqual(["uncordon cp-1"]);
    expect(box.calls().filter((c) => c.startsWith("kubeadm"))).toEqual([]);
  });

  it("the Node never reporting the new version fails within its bound", () => {
    const run = box.run("kubeadm-upgrade.sh", { ...UP, STUB_NODE_VERSION: "v1.34.1", KHA_NODE_TRIES: "2" }, undefined, ["node"]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("timed out waiting for the Node cp-1 to report kubelet v1.35.4 and Ready (2 x 2s)");
  });

  it("node-drain.sh drains a worker that runs the old version, skips one at the new, and uncordons", () => {
    const env = { KHA_NODE: "w-1", KHA_KUBERNETES_VERSION: "1.35.4" };
    const drain = box.run("node-drain.sh", { ...env, KHA_ACTION: "drain", STUB_NODE_VERSION: "v1.34.1" });
    expect(drain.status).toBe(0);
    expect(box.calls().filter((c) => / (cordon|drain) w-1/.test(c))).toHaveLength(2);
    const at = box.run("node-drain.sh", { ...env, KHA_ACTION: "drain", STUB_NODE_VERSION: "v1.35.4" });
    expect(at.stdout).toContain("w-1 runs v1.35.4 already: not drained");
    expect(box.calls().filter((c) => / drain w-1/.test(c))).toHaveLength(1);
    const held = box.run("node-drain.sh", { ...env, KHA_ACTION: "drain", STUB_NODE_VERSION: "v1.34.1", STUB_KUBECTL_DRAIN_EXIT: "1" });
    expect(held.status).not.toBe(0);
    expect(held.stderr).toContain("it stays cordoned and is not upgraded");
    expect(box.run("node-drain.sh", { ...env, KHA_ACTION: "uncordon" }).status).toBe(0);
    expect(box.calls().filter((c) => c.endsWith("uncordon w-1"))).toHaveLength(1);
    expect(box.run("node-drain.sh", { ...env, KHA_ACTION: "drain", STUB_NODE_ABSENT: "1" }).stderr).toContain("no Node w-1 in the cluster");
  });
});

describe("kubelet serving certificates: the approver and its install", () => {
  const ADMIN = "etc/kubernetes/admin.conf";
  // a kubectl that serves CSRs and Nodes from files under $STUB_DIR and records approvals
  const KUBECTL = [
    "#!/usr/bin/env bash",
    'echo "kubectl $*" >> "$STUB_DIR/calls"',
    'args=(); while [ $# -gt 0 ]; do case "$1" in --kubeconfig) shift;; --request-timeout=*) ;; *) args+=("$1");; esac; shift; done',
    'case "${args[0]} ${args[1]}" in',
    '  "get csr") if [ "${#args[@]}" -eq 4 ]; then cat "$STUB_DIR/csrs"; exit 0; fi',
    '    case "${args[4]}" in *spec.request*) cat "$STUB_DIR/csr/${args[2]}.b64";; *usages*) cat "$STUB_DIR/csr/${args[2]}.usages";; esac;;',
    '  "get node") f="$STUB_DIR/nodes/${args[2]}"; [ -f "$f" ] || { echo "NotFound" >&2; exit 1; }; cat "$f";;',
    '  "certificate approve") echo "${args[2]}" >> "$STUB_DIR/approved";;',
    "esac",
  ].join("\n");

  interface Request {
    name: string;
    requester: string;
    subject: string;
    sans: string;
    usages?: string[];
    signer?: string;
    conditions?: string;
  }

  /** Real CSRs made with openssl, as a kubelet would send them (or as a kubelet must not). */
  function serve(requests: Request[], nodes: Record<string, string[]>) {
    const dir = path.join(box.stubDir, "csr");
    fs.mkdirSync(dir, { recursive: true });
    fs.mkdirSync(path.join(box.stubDir, "nodes"), { recursive: true });
    for (const r of requests) {
      const out = path.join(dir, `${r.name}.pem`);
      execFileSync(
        "openssl",
        [
          "req",
          "-new",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          path.join(dir, `${r.name}.key`),
          "-subj",
          r.subject,
          "-addext",
          `subjectAltName=${r.sans}`,
          "-out",
          out,
        ],
        { stdio: "ignore" },
      );
      fs.writeFileSync(path.join(dir, `${r.name}.b64`), fs.readFileSync(out).toString("base64"));
      fs.writeFileSync(path.join(dir, `${r.name}.usages`), `${(r.usages ?? ["digital signature", "server auth"]).join("\n")}\n`);
    }
    fs.writeFileSync(
      path.join(box.stubDir, "csrs"),
      requests.map((r) => `${r.name}|${r.signer ?? "kubernetes.io/kubelet-serving"}|${r.requester}|${r.conditions ?? ""}\n`).join(""),
    );
    for (const [node, addresses] of Object.entries(nodes))
      fs.writeFileSync(path.join(box.stubDir, "nodes", node), `${node}\n${addresses.join("\n")}\n`);
    fs.writeFileSync(path.join(box.stubDir, "kubectl"), `${KUBECTL}\n`, { mode: 0o755 });
  }
  const approved = () => {
    const file = path.join(box.stubDir, "approved");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : [];
  };
  const kubelet = (node: string, sans: string, over: Partial<Request> = {}): Request => ({
    name: `csr-${node}`,
    requester: `system:node:${node}`,
    subject: `/O=system:nodes/CN=system:node:${node}`,
    sans,
    ...over,
  });
  const NODES = { "w-1": ["10.77.0.14", "w-1"], "w-2": ["10.77.0.15", "w-2"] };

  beforeEach(() => box.write(ADMIN, "admin"));

  it("approves a kubelet's request for its own name and addresses", () => {
    serve([kubelet("w-1", "DNS:w-1,IP:10.77.0.14")], NODES);
    const run = box.run("kubelet-csr-approve.sh");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(approved()).toEqual(["csr-w-1"]);
    expect(run.stdout).toContain("approved csr-w-1 for w-1: DNS:w-1,IP Address:10.77.0.14");
  });

  it("leaves pending, with the reason, a SAN that belongs to another node", () => {
    serve([kubelet("w-1", "DNS:w-1,IP:10.77.0.14,IP:10.77.0.15"), kubelet("w-2", "DNS:w-2,IP:10.77.0.15")], NODES);
    const run = box.run("kubelet-csr-approve.sh");
    expect(run.status).toBe(0);
    expect(approved()).toEqual(["csr-w-2"]);
    expect(run.stdout).toMatch(/left csr-w-1 pending: SAN 10\.77\.0\.15 is not Node w-1's name or address \(w-1,10\.77\.0\.14,w-1\)/);
  });

  it("leaves pending what a node did not ask for itself, or asks in the wrong shape", () => {
    serve(
      [
        kubelet("w-1", "DNS:w-1", { name: "by-user", requester: "alice" }),
        kubelet("w-1", "DNS:w-1", { name: "for-other", requester: "system:node:w-2" }),
        kubelet("w-9", "DNS:w-9", { name: "no-node" }),
        kubelet("w-1", "DNS:w-1", { name: "no-org", subject: "/CN=system:node:w-1" }),
        kubelet("w-1", "DNS:w-1", { name: "extra-org", subject: "/O=system:nodes/O=system:masters/CN=system:node:w-1" }),
        kubelet("w-1", "DNS:w-1,email:a@example.com", { name: "email-san" }),
        kubelet("w-1", "DNS:w-1", { name: "client-usage", usages: ["digital signature", "client auth"] }),
      ],
      NODES,
    );
    const run = box.run("kubelet-csr-approve.sh");
    expect(run.status).toBe(0);
    expect(approved()).toEqual([]);
    const reasons = Object.fromEntries([...run.stdout.matchAll(/left (\S+) pending: (.*)/g)].map((m) => [m[1], m[2]]));
    expect(reasons).toEqual({
      "by-user": "requested by 'alice', not by a node",
      "for-other": expect.stringMatching(/^subject is not exactly CN=system:node:w-2, O=system:nodes/),
      "no-node": "no Node w-9",
      "no-org": expect.stringMatching(/^subject is not exactly/),
      "extra-org": expect.stringMatching(/^subject is not exactly/),
      "email-san": expect.stringMatching(/^SAN 'email:a@example.com' is neither a DNS name nor an IP address/),
      "client-usage": "usage 'client auth' is not for serving",
    });
  });

  it("touches neither other signers nor requests already decided", () => {
    serve(
      [
        kubelet("w-1", "DNS:w-1", { name: "client", signer: "kubernetes.io/kube-apiserver-client-kubelet" }),
        kubelet("w-1", "DNS:w-1", { name: "done", conditions: "Approved" }),
        kubelet("w-1", "DNS:w-1", { name: "denied", conditions: "Denied" }),
      ],
      NODES,
    );
    const run = box.run("kubelet-csr-approve.sh");
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("");
    expect(approved()).toEqual([]);
  });

  it("does nothing before the node is a control plane", () => {
    fs.rmSync(path.join(box.root, ADMIN));
    expect(box.run("kubelet-csr-approve.sh").status).toBe(0);
    expect(box.calls()).toEqual([]);
  });

  const UNITS = ["etc/systemd/system/kubeadm-ha-kubelet-csr-approver.service", "etc/systemd/system/kubeadm-ha-kubelet-csr-approver.timer"];
  const install = (on: boolean) => {
    box.write("etc/kubeadm-ha/hardening.env", `# managed by kubeadm-ha\nKHA_KUBELET_SERVING_CERTS=${on}\n`);
    if (on) for (const unit of UNITS) box.write(unit, "[Unit]\n");
    return box.run("kubelet-csr-approver-install.sh");
  };

  it("install: on enables the timer once, off stops it and removes everything", () => {
    const first = install(true);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("approver enabled");
    expect(box.read("usr/local/lib/kubeadm-ha/kubelet-csr-approve.sh")).toContain("kubelet-serving");
    expect(box.exists("usr/local/lib/kubeadm-ha/layout.sh")).toBe(true);
    expect(box.calls()).toContain("systemctl enable --now kubeadm-ha-kubelet-csr-approver.timer");
    const again = install(true);
    expect(again.stdout).not.toContain("enabled");
    expect(box.calls().filter((c) => c === "systemctl daemon-reload")).toHaveLength(1);

    const off = install(false);
    expect(off.status).toBe(0);
    expect(off.stdout).toContain("approver removed");
    expect(box.calls()).toContain("systemctl disable --now kubeadm-ha-kubelet-csr-approver.timer");
    for (const gone of [...UNITS, "usr/local/lib/kubeadm-ha/kubelet-csr-approve.sh"]) expect(box.exists(gone)).toBe(false);
    expect(install(false).stdout).toBe("");
  });

  it("kubeadm-init.sh installs the approver and approves its own kubelet's request at once", () => {
    box.write("etc/kubeadm-ha/kubeadm.yaml", "kind: InitConfiguration\n");
    for (const unit of UNITS) box.write(unit, "[Unit]\n");
    box.write("etc/kubeadm-ha/hardening.env", "KHA_KUBELET_SERVING_CERTS=true\n");
    serve([kubelet("cp-1", "DNS:cp-1,IP:10.77.0.11")], { "cp-1": ["10.77.0.11", "cp-1"] });
    fs.rmSync(path.join(box.root, ADMIN)); // kubeadm init writes it
    const run = box.run("kubeadm-init.sh", { ...INIT_ENV, KHA_APPROVE_TRIES: "3" });
    expect(run.status).toBe(0);
    expect(approved()).toEqual(["csr-cp-1"]);
    expect(box.calls()).toContain("systemctl enable --now kubeadm-ha-kubelet-csr-approver.timer");
    expect(run.stdout).toContain("approved csr-cp-1 for cp-1");
    // approved is enough (the stub kubelet never gets its certificate): no second round, no wait
    expect(box.calls().filter((c) => c.includes("get csr -o jsonpath"))).toHaveLength(1);
    expect(run.stdout).toContain("the kubelet's serving certificate is approved");
  });

  it("kubeadm-init.sh leaves its kubelet's request to the timer when it never comes", () => {
    box.write("etc/kubeadm-ha/kubeadm.yaml", "kind: InitConfiguration\n");
    for (const unit of UNITS) box.write(unit, "[Unit]\n");
    box.write("etc/kubeadm-ha/hardening.env", "KHA_KUBELET_SERVING_CERTS=true\n");
    serve([], { "cp-1": ["10.77.0.11", "cp-1"] });
    fs.rmSync(path.join(box.root, ADMIN));
    const run = box.run("kubeadm-init.sh", { ...INIT_ENV, KHA_APPROVE_TRIES: "2" });
    expect(run.status).toBe(0);
    expect(approved()).toEqual([]);
    expect(box.calls().filter((c) => c.includes("get csr -o jsonpath"))).toHaveLength(2);
    expect(run.stdout).toContain("the approver's timer will approve it");
  });
});

describe("kubeadm scripts and the security defaults' files", () => {
  beforeEach(() => {
    box.write("etc/kubeadm-ha/kubeadm.yaml", "kind: InitConfiguration\n");
    box.write("etc/kubernetes/encryption/config.yaml", "providers: [aescbc]\n", 0o600);
  });

  it("kubeadm-init.sh regenerates the manifests when the encryption config, audit policy or authentication config change", () => {
    expect(box.run("kubeadm-init.sh", INIT_ENV).status).toBe(0);
    const regenerations = () => box.calls().filter((c) => c.startsWith("kubeadm init phase control-plane all"));
    for (const [file, content] of [
      ["etc/kubernetes/encryption/config.yaml", "providers: [identity, aescbc]\n"],
      ["etc/kubernetes/audit/policy.yaml", "rules: []\n"],
      ["etc/kubernetes/authentication/config.yaml", "anonymous: {}\n"],
    ]) {
      const before = regenerations().length;
      box.write(file, content);
      expect(box.run("kubeadm-init.sh", INIT_ENV).status).toBe(0);
      expect(regenerations()).toHaveLength(before + 1);
    }
    expect(box.calls()).toContain(
      "kubeadm init phase upload-config all --config " +
        path.join(box.root, "etc/kubeadm-ha/kubeadm.yaml") +
        " --kubeconfig " +
        path.join(box.root, "etc/kubernetes/admin.conf"),
    );
  });

  it("kubeadm-join.sh deletes the discovery file with the join config (both hold the token)", () => {
    box.write("etc/kubeadm-ha/kubeadm-join.yaml", "token: abc\n", 0o600);
    box.write("etc/kubeadm-ha/discovery.conf", "token: abc\n", 0o600);
    expect(box.run("kubeadm-join.sh", { KHA_CONTROL_PLANE: "false" }).status).toBe(0);
    expect(box.exists("etc/kubeadm-ha/discovery.conf")).toBe(false);
    expect(box.exists("etc/kubeadm-ha/kubeadm-join.yaml")).toBe(false);
  });

  it("kubeadm-join.sh on a control plane removes an approver turned off, joined or not", () => {
    box.write("etc/kubeadm-ha/kubeadm-join.yaml", "token: abc\n", 0o600);
    box.write("etc/kubeadm-ha/hardening.env", "KHA_KUBELET_SERVING_CERTS=false\n");
    box.write("etc/systemd/system/kubeadm-ha-kubelet-csr-approver.timer", "[Timer]\n");
    expect(box.run("kubeadm-join.sh", { KHA_CONTROL_PLANE: "true" }).status).toBe(0);
    expect(box.exists("etc/systemd/system/kubeadm-ha-kubelet-csr-approver.timer")).toBe(false);
  });

  it("kubeadm-reset.sh stops and removes the approver", () => {
    box.write("etc/systemd/system/kubeadm-ha-kubelet-csr-approver.timer", "[Timer]\n");
    box.write("usr/local/lib/kubeadm-ha/kubelet-csr-approve.sh", "#!/bin/sh\n");
    expect(box.run("kubeadm-reset.sh").status).toBe(0);
    expect(box.calls()).toContain("systemctl disable --now kubeadm-ha-kubelet-csr-approver.timer kubeadm-ha-kubelet-csr-approver.service");
    expect(box.exists("etc/systemd/system/kubeadm-ha-kubelet-csr-approver.timer")).toBe(false);
    expect(box.exists("usr/local/lib/kubeadm-ha/kubelet-csr-approve.sh")).toBe(false);
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

describe("etcd-snapshot-copy.sh (etcdSnapshots.copyTo, on the machine running Pulumi)", () => {
  const name = "20261206T101500Z-before-change.db";
  const env = (copyTo: string, tar: string) => ({
    KHA_NODE: "n-1",
    KHA_HOST: "10.77.0.11",
    KHA_HOST_KEY: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvWaQ0v1qJ1tK3c8lq2bZ1nN8JxSqCq0b4mYJt0xZ3y",
    KHA_SSH_RUN: fs.readFileSync(path.join(SCRIPTS, "local-ssh-run.sh"), "utf8"),
    KHA_SSH_TRIES: "1",
    KHA_SNAPSHOT_FILE: `/var/lib/kubeadm-ha/etcd-snapshots/${name}`,
    KHA_COPY_TO: copyTo,
    STUB_SSH_STDOUT_FILE: tar,
  });
  // what the host sends: the snapshot and its .sha256, as tar (the right checksum, or a wrong one)
  const hostTar = (sum?: string) => {
    const src = path.join(box.root, "host-snapshots");
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, name), "etcd-bytes");
    const real = crypto.createHash("sha256").update("etcd-bytes").digest("hex");
    fs.writeFileSync(path.join(src, `${name}.sha256`), `${sum ?? real}  ${name}\n`);
    const tar = path.join(box.root, "snapshot.tar");
    execFileSync("tar", ["cf", tar, "-C", src, name, `${name}.sha256`]);
    return tar;
  };

  it("copies the snapshot the run took, checksum verified, asking the host for exactly that file", () => {
    const copyTo = path.join(box.root, "backups");
    const run = box.run("etcd-snapshot-copy.sh", env(copyTo, hostTar()), "key");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`copied ${name} from n-1 to ${copyTo} (sha256 verified)`);
    expect(fs.readFileSync(path.join(copyTo, name), "utf8")).toBe("etcd-bytes");
    expect(fs.existsSync(path.join(copyTo, `${name}.sha256`))).toBe(true);
    expect(fs.readFileSync(path.join(box.stubDir, "ssh.stdin"), "utf8")).toBe(
      `cd '/var/lib/kubeadm-ha/etcd-snapshots' && tar cf - '${name}' '${name}.sha256'`,
    );
    expect(fs.readdirSync(copyTo).filter((f) => f.startsWith(".incoming"))).toEqual([]);
  });

  it("keeps nothing whose checksum does not match, fails on an unreachable host, and copies nothing when none was taken", () => {
    const copyTo = path.join(box.root, "backups");
    const bad = box.run("etcd-snapshot-copy.sh", env(copyTo, hostTar("0".repeat(64))), "key");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain(`the copy of ${name} does not match its sha256: not kept`);
    expect(fs.readdirSync(copyTo)).toEqual([]);
    const gone = box.run("etcd-snapshot-copy.sh", { ...env(copyTo, hostTar()), STUB_SSH_EXIT: "255" }, "key");
    expect(gone.status).not.toBe(0);
    expect(gone.stderr).toContain("n-1 (10.77.0.11:22) unreachable: nothing was copied from it");
    const none = box.run("etcd-snapshot-copy.sh", { ...env(copyTo, hostTar()), KHA_SNAPSHOT_FILE: "" }, "key");
    expect(none.status).toBe(0);
    expect(none.stdout).toContain("no snapshot was taken in this run: nothing to copy");
    const odd = box.run("etcd-snapshot-copy.sh", { ...env(copyTo, hostTar()), KHA_SNAPSHOT_FILE: "/tmp/x'; rm -rf /" }, "key");
    expect(odd.status).not.toBe(0);
    expect(odd.stderr).toContain("is not a snapshot path the etcd phase writes");
  });
});

describe("local-ssh-run.sh (the program's own SSH: reset on destroy, host key check, trust on first use)", () => {
  const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvWaQ0v1qJ1tK3c8lq2bZ1nN8JxSqCq0b4mYJt0xZ3y";
  const env = {
    KHA_NODE: "n-1",
    KHA_HOST: "10.77.0.11",
    KHA_HOST_KEY: hostKey,
    KHA_REMOTE_PROGRAM: "echo reset",
    KHA_SSH_TRIES: "2",
    KHA_SSH_TIMEOUT: "1",
  };
  const sshArgs = () => box.calls().filter((c) => c.startsWith("ssh "));

  it("sends the program over ssh with the host key pinned strictly, and keeps the key out of argv", () => {
    const run = box.run("local-ssh-run.sh", env, "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n");
    expect(run.status).toBe(0);
    expect(fs.readFileSync(path.join(box.stubDir, "ssh.stdin"), "utf8")).toBe("echo reset");
    expect(box.calls().join("\n")).not.toContain("PRIVATE KEY");
    expect(sshArgs()[0]).toContain("StrictHostKeyChecking=yes");
    expect(sshArgs()[0]).toContain("GlobalKnownHostsFile=/dev/null");
  });

  it("refuses to connect without a pinned host key, except to scan one", () => {
    const run = box.run("local-ssh-run.sh", { ...env, KHA_HOST_KEY: "" }, "key");
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/no pinned host key for n-1 \(10\.77\.0\.11:22\)/);
    expect(sshArgs()).toEqual([]);
    const bastion = box.run("local-ssh-run.sh", { ...env, KHA_BASTION: "ops@192.0.2.1:2222" }, "key");
    expect(bastion.status).toBe(1);
    expect(bastion.stderr).toMatch(/no pinned host key for the bastion 192\.0\.2\.1:2222/);
  });

  it("goes through the bastion with its key pinned too, the ProxyCommand quoted for the shell", () => {
    const run = box.run("local-ssh-run.sh", { ...env, KHA_BASTION: "ops@192.0.2.1:2222", KHA_BASTION_HOST_KEY: hostKey }, "key");
    expect(run.status).toBe(0);
    expect(sshArgs()[0]).toMatch(/ProxyCommand=ssh .*StrictHostKeyChecking=yes .*-p 2222 -W %h:%p ops@192\.0\.2\.1/);
  });

  it("skips an unreachable host after bounded tries instead of failing destroy", () => {
    const run = box.run("local-ssh-run.sh", { ...env, STUB_SSH_EXIT: "255" }, "key");
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/skipped the reset of n-1: host unreachable/);
    expect(sshArgs()).toHaveLength(2);
  });

  it("reports a failing reset script", () => {
    expect(box.run("local-ssh-run.sh", { ...env, STUB_SSH_EXIT: "3" }, "key").status).toBe(3);
  });

  it("fails, naming the host, when the host answers but refuses the login (it is not gone)", () => {
    const run = box.run(
      "local-ssh-run.sh",
      { ...env, STUB_SSH_EXIT: "255", STUB_SSH_STDERR: "root@10.77.0.11: Permission denied (publickey)." },
      "key",
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/n-1 \(10\.77\.0\.11:22\) refused the SSH login as root/);
    expect(run.stderr).not.toMatch(/skipped the reset/);
  });

  it("fails on a changed host key with both fingerprints, and does not retry", () => {
    const stderr = [
      "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
      "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
      "The fingerprint for the ED25519 key sent by the remote host is",
      "SHA256:offeredOFFEREDoffered0000000000000000000000.",
      "Host key for 10.77.0.11 has changed and you have requested strict checking.",
      "Host key verification failed.",
    ].join("\n");
    const run = box.run("local-ssh-run.sh", { ...env, STUB_SSH_EXIT: "255", STUB_SSH_STDERR: stderr }, "key");
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`n-1 (10.77.0.11:22): the SSH host key of 10.77.0.11 is not the pinned one`);
    expect(run.stderr).toContain("offered SHA256:offeredOFFEREDoffered0000000000000000000000");
    expect(run.stderr).toMatch(/pinned SHA256:[A-Za-z0-9+/]{43}/);
    expect(sshArgs()).toHaveLength(1);
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

  it("check mode never logs in: the host's refusal after the key check is the pass; unreachable only warns", () => {
    const denied = { STUB_SSH_EXIT: "255", STUB_SSH_STDERR: "root@10.77.0.11: Permission denied (publickey)." };
    const run = box.run("local-ssh-run.sh", { ...env, KHA_SSH_MODE: "check", KHA_REMOTE_PROGRAM: "", ...denied }, "key");
    expect(run.status).toBe(0);
    expect(sshArgs()[0]).toContain("PubkeyAuthentication=no");
    expect(sshArgs()[0]).toMatch(/ root@10\.77\.0\.11 true$/);
    // the same refusal in run mode is a failure: there it means the login was refused
    expect(box.run("local-ssh-run.sh", { ...env, ...denied }, "key").status).toBe(1);
    const gone = box.run("local-ssh-run.sh", { ...env, KHA_SSH_MODE: "check", STUB_SSH_EXIT: "255" }, "key");
    expect(gone.status).toBe(0);
    expect(gone.stderr).toMatch(/could not check the host key of n-1/);
  });

  it("scan mode accepts a new key only, and fails when the host is unreachable", () => {
    // (the real scan, a key recorded and printed, runs against a real sshd in test/engine/command.test.sh)
    const run = box.run("local-ssh-run.sh", { ...env, KHA_SSH_MODE: "scan", KHA_HOST_KEY: "" }, "key");
    expect(sshArgs()[0]).toContain("StrictHostKeyChecking=accept-new");
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/recorded no host key/);
    const gone = box.run("local-ssh-run.sh", { ...env, KHA_SSH_MODE: "scan", KHA_HOST_KEY: "", STUB_SSH_EXIT: "255" }, "key");
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/unreachable: no host key to trust yet/);
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
