// A well-formed host key for test inventories (bare metal refuses hosts without one).
export const TEST_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvWaQ0v1qJ1tK3c8lq2bZ1nN8JxSqCq0b4mYJt0xZ3y";
