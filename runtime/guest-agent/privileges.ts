/**
 * Dropping from root to the runner's user, inside the agent: on the job channel the agent starts
 * as root (the port's device is root-only) and becomes the runner's user once its job arrived,
 * before it dials anything or runs a step. What `setpriv --reuid --regid --init-groups
 * --reset-env` does for the fw_cfg path. A process that changed its ids is not dumpable, so the
 * job's steps (the same user) cannot read the JIT config out of its memory either.
 */
import { readFileSync } from "node:fs";

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** The account's line in an /etc/passwd text, or an error naming the user. */
export function findAccount(passwd: string, name: string): Account {
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid, , home, shell] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid), home: home || "/", shell: shell || "/bin/sh" };
    }
  }
  throw new Error(`no user ${name} in /etc/passwd`);
}

export function becomeUser(name: string): void {
  const account = findAccount(readFileSync("/etc/passwd", "utf8"), name);
  // The runner user belongs to its own group only (build-image.sh creates it so).
  process.setgroups!([account.gid]);
  process.setgid!(account.gid);
  process.setuid!(account.uid);
  if (process.getuid!() !== account.uid || process.geteuid!() !== account.uid) throw new Error(`still running as uid ${process.geteuid!()}`);
  for (const key of Object.keys(process.env)) if (key !== "PATH") delete process.env[key];
  Object.assign(process.env, { HOME: account.home, USER: account.name, LOGNAME: account.name, SHELL: account.shell });
  process.chdir(account.home);
}
