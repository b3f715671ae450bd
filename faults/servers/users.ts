import { readFileSync } from 'node:fs';

/**
 * Database servers refuse to run as root. When the harness runs as root it starts them as their
 * packaged system user (found in /etc/passwd); otherwise as the current user.
 */
export function serverUser(name: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`the harness runs as root but there is no '${name}' user to run the server as`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
