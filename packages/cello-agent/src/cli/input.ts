/** The agent's flags that need more than yargs checks. */
import { UsageError } from '@cello/cli-kit';

/** `--listen [host]:port` (`:11414`, `127.0.0.1:11414`, `[::1]:11414`); the host defaults to every address. */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || !(port > 0 && port < 65536)) throw new UsageError(`--listen: expected [host]:port (e.g. :11414 or 127.0.0.1:11414), got ${JSON.stringify(v)}`);
  return { host: m[1] || '0.0.0.0', port };
}
