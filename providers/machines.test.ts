import { machineOptions } from "./machines";

describe("machineOptions (cloud VM guards)", () => {
  const guard = { protect: true, rebuild: [] };
  const drifting = ["ami", "keyName"];

  it("protects control-plane and etcd VMs, and keeps every VM's image and key", () => {
    expect(machineOptions({ name: "k-cp-1", roles: ["control-plane", "etcd"] }, guard, drifting)).toEqual({
      ignoreChanges: drifting,
      protect: true,
    });
    expect(machineOptions({ name: "k-etcd-1", roles: ["etcd"] }, guard, drifting)).toEqual({ ignoreChanges: drifting, protect: true });
    expect(machineOptions({ name: "k-worker-1", roles: ["worker"] }, guard, drifting)).toEqual({ ignoreChanges: drifting, protect: false });
  });

  it("lets go of the VM named in rebuild only: current image and key, unprotected", () => {
    const machines = { protect: true, rebuild: ["k-cp-2"] };
    expect(machineOptions({ name: "k-cp-2", roles: ["control-plane", "etcd"] }, machines, drifting)).toEqual({
      ignoreChanges: [],
      protect: false,
    });
    expect(machineOptions({ name: "k-cp-1", roles: ["control-plane", "etcd"] }, machines, drifting)).toEqual({
      ignoreChanges: drifting,
      protect: true,
    });
  });

  it("protect: false protects nothing and still keeps images and keys", () => {
    expect(machineOptions({ name: "k-cp-1", roles: ["control-plane"] }, { protect: false, rebuild: [] }, drifting)).toEqual({
      ignoreChanges: drifting,
      protect: false,
    });
  });
});
