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

describe("parseSelectors: open ranges, calendar words and latest", () => {
  // 2026-11-30 16:30 UTC is already 2026-12-01 01:30 in Tokyo: the words follow Japan's calendar.
  const now = Date.parse("2026-11-30T16:30:00Z");
  it.each([
    ["2026/11/01..", "2026/11/01", "2100/12/31"],
    ["..2010/06", "2000/01/01", "2010/06/30"],
    ["today", "2026/12/01", "2026/12/01"],
    ["Yesterday", "2026/11/30", "2026/11/30"],
    ["2026/11/01..yesterday", "2026/11/01", "2026/11/30"],
    ["yesterday..today", "2026/11/30", "2026/12/01"],
  ])("%j -> %s..%s", (text, from, to) => {
    expect(parseSelectors([text], { now })).toEqual([{ ...days(from, to), text }]);
  });

  it("today in Tokyo does not depend on the clock's zone: one instant, one answer", () => {
    expect(parseSelectors(["today"], { now: Date.parse("2026-12-01T00:00:00+09:00") })[0]).toMatchObject({ from: "2026/12/01" });
    expect(parseSelectors(["today"], { now: Date.parse("2026-11-30T23:59:59+09:00") })[0]).toMatchObject({ from: "2026/11/30" });
  });

  it.each([
    ["latest", 1, false],
    ["LATEST:5", 5, false],
    ["testdata/latest:2", 2, true],
  ])("%j -> the %i newest days", (text, count, sample) => {
    expect(parseSelectors([text], { now })).toEqual([{ kind: "latest", count, sample, text, until: "2026/12/01" }]);
  });

  it("--sample applies to the words too", () => {
    expect(parseSelectors(["today", "latest"], { sample: true, now }).map((s) => s.kind !== "prefix" && s.sample)).toEqual([true, true]);
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
    ["abc", "expected YYYY, YYYY/MM, YYYY/MM/DD"],
    ["21/05", 'the year must have 4 digits (got "21")'],
    ["1999", "the year must be 2000 to 2100"],
    ["2101/01", "the year must be 2000 to 2100"],
    ["2021/05/31/x", "expected at most YYYY/MM/DD"],
    ["2021/06/03..2021/05/10", "range start 2021/06/03 is after its end 2021/05/10"],
    ["2021/07..2021/05", "range start 2021/07/01 is after its end 2021/05/31"],
    ["..", "a range needs a date on at least one side"],
    ["tomorrow", "expected YYYY, YYYY/MM, YYYY/MM/DD, a range A..B (A.. or ..B open-ended), today, yesterday, latest, latest:N"],
    ["latest:0", "latest:N must be 1 to 10000 days"],
    ["latest:x", 'latest:N needs a whole number of days (got "x")'],
    ["latest:", 'latest:N needs a whole number of days (got "")'],
    ["2021/05..latest", '"latest" cannot be one end of a range'],
    ["today..2021/05", "range start"],
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
