import { describe, it, expect } from "vitest";
import { parseSelectors, SelectorError, type Selector } from "./selectors.js";

const days = (from: string, to: string, sample = false): Partial<Selector> => ({ kind: "days", from, to, sample });

describe("parseSelectors: dates", () => {
  it.each([
    ["2021", "2021/01/01", "2021/12/31"],
    ["2021/", "2021/01/01", "2021/12/31"],
    ["2021/05", "2021/05/01", "2021/05/31"],
    ["2021/06", "2021/06/01", "2021/06/30"],
    ["2021/02", "2021/02/01", "2021/02/28"],
    ["2024/02", "2024/02/01", "2024/02/29"],
    ["2000/02", "2000/02/01", "2000/02/29"],
    ["2100/02", "2100/02/01", "2100/02/28"],
    ["2021/05/31", "2021/05/31", "2021/05/31"],
    ["2021/05/31/", "2021/05/31", "2021/05/31"],
    ["2021/5/3", "2021/05/03", "2021/05/03"],
    ["2021/5", "2021/05/01", "2021/05/31"],
    [" 2021/05/31 ", "2021/05/31", "2021/05/31"],
    ["s3://dataservice-flex-bucket/2021/05/31", "2021/05/31", "2021/05/31"],
  ])("%j -> %s..%s", (text, from, to) => {
    expect(parseSelectors([text])).toEqual([{ ...days(from, to), text }]);
  });

  it.each([
    ["2021/05/10..2021/06/03", "2021/05/10", "2021/06/03"],
    ["2021/05..2021/07", "2021/05/01", "2021/07/31"],
    ["2020..2021/02", "2020/01/01", "2021/02/28"],
    ["2021/5/1..2021/5/1", "2021/05/01", "2021/05/01"],
    ["2021/05/10 .. 2021/06/03", "2021/05/10", "2021/06/03"],
    ["2021/05/31..2021/05", "2021/05/31", "2021/05/31"],
  ])("range %j -> %s..%s", (text, from, to) => {
    expect(parseSelectors([text])).toEqual([{ ...days(from, to), text }]);
  });

  it("keeps several selectors in order", () => {
    const s = parseSelectors(["2021/06", "2021/05/31"]);
    expect(s.map((x) => x.kind === "days" && x.from)).toEqual(["2021/06/01", "2021/05/31"]);
  });

  it("returns nothing for no arguments", () => {
    expect(parseSelectors([])).toEqual([]);
  });
});

describe("parseSelectors: testdata", () => {
  it.each([
    ["testdata/2021/05", "2021/05/01", "2021/05/31"],
    ["testdata/2021/05/10..testdata/2021/05/12", "2021/05/10", "2021/05/12"],
    ["testdata/2021/05/10..2021/05/12", "2021/05/10", "2021/05/12"],
    ["testdata", "2000/01/01", "2100/12/31"],
    ["testdata/", "2000/01/01", "2100/12/31"],
  ])("%j is sample data", (text, from, to) => {
    expect(parseSelectors([text])).toEqual([{ ...days(from, to, true), text }]);
  });

  it("--sample turns every date selector into testdata", () => {
    const s = parseSelectors(["2021/05", "2021/06/01..2021/06/02"], { sample: true });
    expect(s.every((x) => x.kind === "days" && x.sample)).toBe(true);
  });

  it("without --sample plain dates are real data", () => {
    expect(parseSelectors(["2021/05"])[0]).toMatchObject({ sample: false });
  });
});

describe("parseSelectors: prefixes", () => {
  it.each([
    ["ConnectionSpec/Standard/version 17.4/Japanese", "ConnectionSpec/Standard/version 17.4/Japanese"],
    ["ConnectionSpec/MBO/version 0.1/", "ConnectionSpec/MBO/version 0.1/"],
    ["connectionspec/Standard/Version 18.3", "ConnectionSpec/Standard/Version 18.3"],
    ["ConnectionSpec", "ConnectionSpec"],
  ])("%j -> prefix %j", (text, prefix) => {
    expect(parseSelectors([text])).toEqual([{ kind: "prefix", prefix, text }]);
  });
});

describe("parseSelectors: errors", () => {
  it.each([
    ["2021/02/30", "February 2021 has 28 days"],
    ["2024/02/30", "February 2024 has 29 days"],
    ["2021/04/31", "April 2021 has 30 days"],
    ["2021/13", "the month must be 1 to 12"],
    ["2021/00", "the month must be 1 to 12"],
    ["2021/05/00", "the day must be 1 or more"],
    ["2021/5a", 'the month must be a number 1 to 12 (got "5a")'],
    ["2021/05/x", 'the day must be a number (got "x")'],
    ["2021/005", "the month must be a number"],
    ["abc", "expected YYYY, YYYY/MM or YYYY/MM/DD"],
    ["21/05", 'the year must have 4 digits (got "21")'],
    ["1999", "the year must be 2000 to 2100"],
    ["2101/01", "the year must be 2000 to 2100"],
    ["2021/05/31/x", "expected at most YYYY/MM/DD"],
    ["2021/06/03..2021/05/10", "range start 2021/06/03 is after its end 2021/05/10"],
    ["2021/07..2021/05", "range start 2021/07/01 is after its end 2021/05/31"],
    ["2021/05..", "a range needs a date on both sides"],
    ["..2021/05", "a range needs a date on both sides"],
    ["2021..2022..2023", 'a range has one ".."'],
    ["2021/02/30..2021/03/01", "February 2021 has 28 days"],
    ["", "empty"],
    ["2021-05-31", "expected YYYY"],
  ])("%j: %s", (text, reason) => {
    let err: unknown;
    try {
      parseSelectors([text]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SelectorError);
    const message = (err as Error).message;
    expect(message.startsWith(`invalid selector ${JSON.stringify(text)}: `)).toBe(true);
    expect(message).toContain(reason);
  });

  it("reports the first bad argument among several", () => {
    expect(() => parseSelectors(["2021/05", "2021/02/29"])).toThrow('invalid selector "2021/02/29": February 2021 has 28 days');
  });
});
