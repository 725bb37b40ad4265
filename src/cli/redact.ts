/**
 * Secrets (secret keys, session tokens) must never reach output, even with --debug. Every secret the
 * process learns is registered here, and every line written passes through `redact`.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join("****");
  return out;
}

/** Secrets read from the environment at start-up. */
export function registerEnvSecrets(env: Record<string, string | undefined>): void {
  registerSecret(env.AWS_SECRET_ACCESS_KEY);
  registerSecret(env.AWS_SESSION_TOKEN);
}
