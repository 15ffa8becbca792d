/**
 * What the emulator starts with. The default is enough for the lab and the tests: org `acme`
 * with `acme/app` and `acme/lib`, user `octo` with `octo/solo`, one GitHub App (id 1) installed
 * on both, and the org's default runner group (id 1, "Default", visible to all repositories).
 */
import { EmulatorState } from "./state.ts";

export interface SeedData {
  organizations: { login: string; repositories: string[] }[];
  users: { login: string; repositories: string[] }[];
  /** The GitHub App; installed on every organization and user above, installation ids in order from 100. */
  app: { id: number; slug: string; name: string };
}

export const defaultSeed: SeedData = {
  organizations: [{ login: "acme", repositories: ["app", "lib"] }],
  users: [{ login: "octo", repositories: ["solo"] }],
  app: { id: 1, slug: "runner-fleet-lab", name: "runner-fleet lab" },
};

export function seedState(seed: SeedData, now: number): EmulatorState {
  const owner = seed.organizations[0]?.login ?? seed.users[0]?.login ?? "octo";
  const state = new EmulatorState({ ...seed.app, owner, createdAt: now });
  let installationId = 100;
  const install = (login: string): void => {
    const id = installationId++;
    state.installations.set(id, { id, account: login, createdAt: now });
  };
  for (const org of seed.organizations) {
    state.ensureAccount(org.login, "Organization");
    for (const name of org.repositories) state.addRepository(`${org.login}/${name}`, { createdAt: now });
    state.putGroup({
      id: 1,
      org: org.login,
      name: "Default",
      visibility: "all",
      isDefault: true,
      allowsPublicRepositories: false,
      restrictedToWorkflows: false,
      selectedWorkflows: [],
      selectedRepositoryIds: [],
    });
    install(org.login);
  }
  for (const user of seed.users) {
    state.ensureAccount(user.login, "User");
    for (const name of user.repositories) state.addRepository(`${user.login}/${name}`, { createdAt: now });
    install(user.login);
  }
  state.ensureAccount(owner);
  return state;
}
