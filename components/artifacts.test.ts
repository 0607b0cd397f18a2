import { imagesForRoles } from "./artifacts";

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
