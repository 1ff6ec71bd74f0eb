import { describe, expect, it } from "vitest";
import { conversionRateLabel, exitCountLabel, waitingLabel } from "./stats-format";

describe("live overlay labels", () => {
  it("counts exits exactly while they fit, compactly beyond", () => {
    expect(exitCountLabel(0)).toBe("0");
    expect(exitCountLabel(1234)).toBe("1,234");
    expect(exitCountLabel(9999)).toBe("9,999");
    expect(exitCountLabel(12_345)).toBe("12.3k");
  });

  it("says who waits at a node", () => {
    expect(waitingLabel(0)).toBe("Nobody waiting");
    expect(waitingLabel(1)).toBe("1 waiting");
    expect(waitingLabel(2500)).toBe("2,500 waiting");
  });

  it("shows a conversion rate as a share, or a dash while nobody entered", () => {
    expect(conversionRateLabel(null)).toBe("—");
    expect(conversionRateLabel(0)).toBe("0%");
    expect(conversionRateLabel(0.25)).toBe("25%");
    expect(conversionRateLabel(0.042)).toBe("4.2%");
  });
});
