/**
 * Every command's output is a union of records keyed by `kind`: with --json each record is one JSON
 * line (its keys are the record's), otherwise its text form. A command's text forms are a `TextForms`
 * map, so a record kind without a text form does not compile. docs/output.md lists every kind.
 */

/** One text form per record kind; `C` is what the text needs beyond the record (bucket, flags). Undefined: no line. */
export type TextForms<R extends { kind: string }, C = void> = {
  [K in R["kind"]]: (r: Extract<R, { kind: K }>, ctx: C) => string | undefined;
};

export function textOf<R extends { kind: string }, C>(forms: TextForms<R, C>, r: R, ctx: C): string | undefined {
  return (forms[r.kind as R["kind"]] as (r: R, ctx: C) => string | undefined)(r, ctx);
}

/**
 * A printer of one command's records: a JSON line each with `json`, else the text form (a text form
 * may span lines). `write` adds the newline (and redacts, where the command needs it).
 */
export function recordPrinter<R extends { kind: string }, C>(json: boolean, forms: TextForms<R, C>, write: (line: string) => void): (r: R, ctx: C) => void {
  return (r, ctx) => {
    const line = json ? JSON.stringify(r) : textOf(forms, r, ctx);
    if (line !== undefined) write(line);
  };
}
