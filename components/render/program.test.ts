import { renderBundle, renderStepProgram, shellQuote } from "./program";

describe("step programs", () => {
  it("quotes anything for the shell", () => {
    expect(shellQuote("it's")).toBe(`'it'"'"'s'`);
    expect(shellQuote("a\nb $x")).toBe("'a\nb $x'");
  });

  it("encodes files as base64 in the bundle", () => {
    const bundle = renderBundle([{ path: "/etc/x.conf", content: "hello\n", mode: "0640" }]);
    expect(bundle).toBe(`file 0640 /etc/x.conf\n${Buffer.from("hello\n").toString("base64")}\nend\n`);
    expect(() => renderBundle([{ path: "etc/x", content: "", mode: "0644" }])).toThrow(/absolute/);
    expect(() => renderBundle([{ path: "/etc/../x", content: "", mode: "0644" }])).toThrow(/absolute/);
    expect(() => renderBundle([{ path: "/a", content: "", mode: "0644" }, { path: "/a", content: "", mode: "0644" }])).toThrow(/twice/);
  });

  it("ends with the script run, parameters sorted and quoted, stdin closed", () => {
    const program = renderStepProgram({ title: "t", putFilesScript: "#!/bin/bash\n", files: [], run: "/opt/kubeadm-ha/scripts/x.sh", env: { KHA_B: "2", KHA_A: "o'k" } });
    expect(program.trimEnd().split("\n").pop()).toBe(`KHA_A='o'"'"'k' KHA_B='2' bash /opt/kubeadm-ha/scripts/x.sh </dev/null`);
    expect(() => renderStepProgram({ title: "t", putFilesScript: "", files: [], run: "/x", env: { "bad name": "" } })).toThrow(/bad environment/);
  });
});
