import { describe, it, expect } from "vitest";
import { matchVersion, normalizeKind, normalizeLanguage, versionNumber } from "./spec.js";

const listed = ["version 17.4", "Version 18.3", "version 0.1", "README.txt"];

describe("matchVersion", () => {
  it.each([
    ["17.4", "version 17.4"],
    ["version 17.4", "version 17.4"],
    ["VERSION 17.4", "version 17.4"],
    ["Version 18.3", "Version 18.3"],
    ["version 18.3", "Version 18.3"],
    ["v18.3", "Version 18.3"],
    ["V18.3", "Version 18.3"],
    ["18.03", "Version 18.3"],
    [" 0.1 ", "version 0.1"],
    ["latest", "Version 18.3"],
  ])("%j -> %j", (requested, found) => {
    expect(matchVersion(requested, listed)).toBe(found);
  });

  it.each(["18", "18.4", "17.40.1", "abc", ""])("%j matches nothing", (requested) => {
    expect(matchVersion(requested, listed)).toBeUndefined();
  });

  it("accepts listed full prefixes with trailing slashes and returns them as given", () => {
    const full = ["ConnectionSpec/Standard/version 17.4/", "ConnectionSpec/Standard/Version 18.3/"];
    expect(matchVersion("18.3", full)).toBe("ConnectionSpec/Standard/Version 18.3/");
    expect(matchVersion("latest", full)).toBe("ConnectionSpec/Standard/Version 18.3/");
  });

  it("orders versions numerically for latest (18.10 > 18.9)", () => {
    expect(matchVersion("latest", ["version 18.9", "version 18.10"])).toBe("version 18.10");
  });

  it("latest of nothing is undefined", () => {
    expect(matchVersion("latest", ["Japanese"])).toBeUndefined();
  });

  it("versionNumber strips spelling", () => {
    expect(versionNumber("Version 18.3/")).toBe("18.3");
    expect(versionNumber("Japanese")).toBeUndefined();
  });
});

describe("normalizeKind", () => {
  it.each([
    ["Standard", "Standard"],
    ["standard", "Standard"],
    ["FULL", "Standard"],
    ["full", "Standard"],
    ["Standard/FULL", "Standard"],
    ["MBO", "MBO"],
    ["mbo", "MBO"],
    ["Standard/", "Standard"],
  ])("%j -> %j", (s, kind) => {
    expect(normalizeKind(s)).toBe(kind);
  });
  it.each(["", "mbox", "stand"])("%j -> undefined", (s) => {
    expect(normalizeKind(s)).toBeUndefined();
  });
});

describe("normalizeLanguage", () => {
  it.each([
    ["Japanese", "Japanese"],
    ["japanese", "Japanese"],
    ["ja", "Japanese"],
    ["JP", "Japanese"],
    ["日本語", "Japanese"],
    ["English", "English"],
    ["en", "English"],
    ["EN", "English"],
    ["英語", "English"],
  ])("%j -> %j", (s, lang) => {
    expect(normalizeLanguage(s)).toBe(lang);
  });
  it.each(["", "fr", "jap"])("%j -> undefined", (s) => {
    expect(normalizeLanguage(s)).toBeUndefined();
  });
});
