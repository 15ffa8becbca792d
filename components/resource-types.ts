/**
 * Type tokens of the stack's components and of the provider resources the policy pack checks.
 * Policies match on these strings, so they live in one place.
 */
export const componentTypes = {
  fleet: "runner-fleet:index:Fleet",
  host: "runner-fleet:index:Host",
  baseImage: "runner-fleet:index:BaseImage",
  runnerGroup: "runner-fleet:index:RunnerGroup",
  routing: "runner-fleet:index:Routing",
  webhook: "runner-fleet:index:Webhook",
  coordinator: "runner-fleet:index:Coordinator",
} as const;

export const providerResourceTypes = {
  githubProvider: "pulumi:providers:github",
  runnerGroup: "github:index/actionsRunnerGroup:ActionsRunnerGroup",
  actionsVariable: "github:index/actionsVariable:ActionsVariable",
  repositoryWebhook: "github:index/repositoryWebhook:RepositoryWebhook",
  organizationWebhook: "github:index/organizationWebhook:OrganizationWebhook",
  remoteCommand: "command:remote:Command",
  copyToRemote: "command:remote:CopyToRemote",
} as const;
