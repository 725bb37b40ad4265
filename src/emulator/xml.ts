// XML helpers: escaping for hand-written templates (fast, and keys with &, <, Japanese round-trip),
// S3 / STS error documents, and one shared fast-xml-parser instance for request bodies.
import { createHash } from "node:crypto";
import { XMLParser } from "fast-xml-parser";
import { S3_NS, STS_NS } from "./types.js";

const ESC_RE = /[&<>"'\r\n]/g;
const ESC_MAP: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#13;", "\n": "&#10;" };

export function esc(s: string): string {
  return ESC_RE.test(s) ? s.replace(ESC_RE, (c) => ESC_MAP[c] ?? c) : s;
}

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** `<Name>value</Name>` with the value escaped; nothing when value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return "";
  return `<${name}>${typeof value === "string" ? esc(value) : String(value)}</${name}>`;
}

/** An S3 result document: `<Root xmlns="...">inner</Root>`. */
export function s3Doc(root: string, inner: string): string {
  return `${XML_DECL}<${root} xmlns="${S3_NS}">${inner}</${root}>`;
}

export function s3ErrorXml(code: string, message: string, requestId: string, extra: Record<string, string> = {}): string {
  let inner = `<Code>${esc(code)}</Code><Message>${esc(message)}</Message>`;
  for (const [k, v] of Object.entries(extra)) inner += el(k, v);
  inner += `<RequestId>${requestId}</RequestId><HostId>${hostId(requestId)}</HostId>`;
  return `${XML_DECL}<Error>${inner}</Error>`;
}

export function stsErrorXml(type: "Sender" | "Receiver", code: string, message: string, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${STS_NS}"><Error><Type>${type}</Type><Code>${esc(code)}</Code>` +
    `<Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

export function hostId(requestId: string): string {
  return Buffer.from(`flex-emulator/${requestId}`).toString("base64");
}

/** S3 timestamps in XML: 2021-05-31T04:31:36.000Z. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true, // numeric references too: Go's encoder (rclone) writes quotes as &#34;
  isArray: (name) => name === "Part" || name === "Object",
});

/** Parse a request body; undefined when it is not well-formed XML. */
export function parseXml(body: Buffer): Record<string, unknown> | undefined {
  try {
    const text = body.toString("utf8").trim();
    if (!text.startsWith("<")) return undefined;
    const doc: unknown = parser.parse(text, true);
    return doc && typeof doc === "object" ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The text of a parsed leaf element (fast-xml-parser gives strings for leaves with parseTagValue:false). */
export function text(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (v && typeof v === "object" && "#text" in v) return String((v as Record<string, unknown>)["#text"]);
  if (v === "" || (v && typeof v === "object" && Object.keys(v).length === 0)) return "";
  return undefined;
}

const canonicalIds = new Map<string, string>();

/** A stable 64-hex "canonical user id" for an account (S3 shows these in Owner / Grantee). */
export function canonicalId(accountId: string): string {
  let id = canonicalIds.get(accountId);
  if (!id) {
    id = createHash("sha256").update(`flex-emulator-canonical:${accountId}`).digest("hex");
    canonicalIds.set(accountId, id);
  }
  return id;
}

/** `<Tag><ID>canonical</ID><DisplayName>account id</DisplayName></Tag>` */
export function ownerXml(tag: string, accountId: string): string {
  return `<${tag}><ID>${canonicalId(accountId)}</ID><DisplayName>${esc(accountId)}</DisplayName></${tag}>`;
}
