import { criticalPath, stepsOf } from "./profile";
import { measures, median, ratios } from "./summary";

const ev = (t: number, kind: "resourcePreEvent" | "resOutputsEvent", name: string, op = "create") =>
  JSON.stringify({ timestamp: t, [kind]: { metadata: { urn: `urn:pulumi:s::p::t::${name}`, op } } });

describe("profile", () => {
  const log = [
    ev(100, "resourcePreEvent", "prep-a"),
    ev(100, "resourcePreEvent", "prep-b"),
    ev(104, "resOutputsEvent", "prep-a"),
    ev(110, "resOutputsEvent", "prep-b"),
    ev(104, "resourcePreEvent", "side"),
    ev(105, "resOutputsEvent", "side"),
    ev(110, "resourcePreEvent", "init"),
    ev(130, "resOutputsEvent", "init"),
    ev(130, "resourcePreEvent", "join"),
    ev(140, "resOutputsEvent", "join"),
    ev(130, "resourcePreEvent", "unchanged", "same"),
    "",
  ];

  it("reads each changed step's start and end from the event log", () => {
    expect(stepsOf(log).map((s) => [s.name, s.start, s.end])).toEqual([
      ["prep-a", 100, 104],
      ["prep-b", 100, 110],
      ["side", 104, 105],
      ["init", 110, 130],
      ["join", 130, 140],
    ]);
  });

  it("walks back from the last step through what each waited for", () => {
    expect(criticalPath(stepsOf(log)).map((s) => s.name)).toEqual(["prep-b", "init", "join"]);
  });
});

describe("summary", () => {
  it("medians of odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("groups runs per measure and reports the ratio of medians", () => {
    const ms = measures(
      [
        "baseline 3+2 from bare hosts\t100",
        "kubeadm-ha 3+2 from bare hosts\t80",
        "baseline 3+2 from bare hosts\t120",
        "kubeadm-ha 3+2 from bare hosts\t90",
        "baseline 3+2 from bare hosts\t110",
        "kubeadm-ha 3+2 from bare hosts\t70",
        "",
      ].join("\n"),
    );
    expect(ms.find((m) => m.name.startsWith("baseline"))).toMatchObject({ n: 3, min: 100, median: 110, max: 120 });
    expect(ratios(ms)).toEqual({ "kubeadm-ha / plain kubeadm script, 3+2 from bare hosts (medians)": 0.73 });
  });

  it("compares the 3+10 runs with each other and with 3+2, and says how busy the machine was", () => {
    const ms = measures(
      [
        "baseline 3+2 from bare hosts	100",
        "kubeadm-ha 3+2 from bare hosts	90",
        "baseline 3+10 from bare hosts	250",
        "kubeadm-ha 3+10 from bare hosts	200",
        "kubeadm-ha 3+10 from bare hosts: CPU s on the hosts	240",
        "kubeadm-ha 3+10 from bare hosts: CPU s outside the hosts	120",
        "",
      ].join("\n"),
    );
    expect(ratios(ms, 2)).toEqual({
      "kubeadm-ha / plain kubeadm script, 3+2 from bare hosts (medians)": 0.9,
      "kubeadm-ha 3+10 / 3+2 from bare hosts": 2.22,
      "plain kubeadm script 3+10 / 3+2 from bare hosts": 2.5,
      "kubeadm-ha / plain kubeadm script, 3+10 from bare hosts": 0.8,
      "kubeadm-ha 3+10: CPU used / CPU the 2 cores had (medians)": 0.9,
    });
  });
});
