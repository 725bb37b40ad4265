import { describe, expect, it } from "vitest";
import { contractResources, coverRange } from "./contract.js";

describe("contracted periods as IAM resources", () => {
  it("covers a range with the fewest year, month and day folders", () => {
    expect(coverRange("2021/05/10", "2021/06/03")).toEqual([
      ...Array.from({ length: 22 }, (_, i) => `2021/05/${String(i + 10).padStart(2, "0")}`),
      "2021/06/01",
      "2021/06/02",
      "2021/06/03",
    ]);
    expect(coverRange("2020/01/01", "2021/02")).toEqual(["2020", "2021/01", "2021/02"]);
    expect(coverRange("2021/12/01", "2021/12")).toEqual(["2021/12"]);
  });
  it("writes dates (also under testdata/), prefixes, and everything when no contract is set", () => {
    const arn = "arn:aws:s3:::src/";
    expect(contractResources("src", undefined)).toEqual([`${arn}*`]);
    expect(contractResources("src", ["2021/05", "ConnectionSpec"])).toEqual([`${arn}2021/05/*`, `${arn}testdata/2021/05/*`, `${arn}ConnectionSpec*`]);
    expect(contractResources("src", [])).toHaveLength(1); // a resource no key has: grants nothing
  });
});
