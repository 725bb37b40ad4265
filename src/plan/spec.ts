/**
 * Matching user input against the ConnectionSpec folders, which are spelled inconsistently
 * by the provider: "ConnectionSpec/Standard/version 17.4/Japanese/", "Version 18.3", "MBO/version 0.1".
 */

/** "version 17.4", "Version 18.3", "v18.3", "18.03" -> "18.3"; undefined if no version number. */
export function versionNumber(text: string): string | undefined {
  const last = text.replace(/\/+$/, "").split("/").pop() ?? "";
  const m = /^\s*(?:version|ver\.?|v)?\s*(\d+(?:\.\d+)*)\s*$/i.exec(last);
  if (!m || m[1] === undefined) return undefined;
  return m[1]
    .split(".")
    .map((c) => String(Number(c)))
    .join(".");
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Finds the listed folder for a requested version, case-insensitively and whatever the spelling:
 * "17.4", "version 17.4", "Version 18.3", "v18.3". "latest" picks the highest version.
 * Returns the available entry exactly as given, or undefined.
 */
export function matchVersion(requested: string, available: string[]): string | undefined {
  const listed = available
    .map((name) => ({ name, version: versionNumber(name) }))
    .filter((x): x is { name: string; version: string } => x.version !== undefined);
  if (/^\s*latest\s*$/i.test(requested)) {
    return [...listed].sort((a, b) => compareVersions(b.version, a.version))[0]?.name;
  }
  const wanted = versionNumber(requested);
  if (wanted === undefined) return undefined;
  return listed.find((x) => x.version === wanted)?.name;
}

/** "standard", "FULL", "Standard/FULL" -> "Standard"; "mbo" -> "MBO". */
export function normalizeKind(s: string): "Standard" | "MBO" | undefined {
  const t = s.trim().replace(/\/+$/, "").toLowerCase();
  if (["standard", "full", "standard/full", "std"].includes(t)) return "Standard";
  if (t === "mbo") return "MBO";
  return undefined;
}

/** "Japanese", "ja", "jp", "日本語" -> "Japanese"; "English", "en", "英語" -> "English". */
export function normalizeLanguage(s: string): "Japanese" | "English" | undefined {
  const t = s.trim().replace(/\/+$/, "").toLowerCase();
  if (["japanese", "ja", "jp", "jpn", "ja-jp", "日本語"].includes(t)) return "Japanese";
  if (["english", "en", "eng", "en-us", "en-gb", "英語"].includes(t)) return "English";
  return undefined;
}
