/**
 * The policy pack as Pulumi runs it: `node --import tsx index.ts` in policy/, which serves the
 * analyzer gRPC protocol on the port it prints. The test is the engine's side of that protocol.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { componentTypes, providerResourceTypes as t } from "../../../components/resource-types.ts";
import { controllerNotExposedWithoutSecret } from "../../../policy/controller-exposure.ts";
import { policies } from "../../../policy/policies.ts";
import { runnerGroupVisibility } from "../../../policy/runner-group-visibility.ts";

// The engine's side of the protocol, from the very modules the pack is served with. These are the
// SDK's generated protobuf classes (untyped for NodeNext resolution), so only what is used is typed.
interface Message {
  [setter: `set${string}`]: (value: unknown) => Message;
}
type MessageClass = new () => Message;
interface Diagnostic {
  getPolicyname(): string;
  getMessage(): string;
  getEnforcementlevel(): number;
}
interface AnalyzeResponse {
  getDiagnosticsList(): Diagnostic[];
}
interface AnalyzerInfo {
  getName(): string;
  getPoliciesList(): { getName(): string; getEnforcementlevel(): number }[];
}
type Unary<Res> = (request: Message, callback: (error: Error | null, response: Res) => void) => void;
interface AnalyzerClient {
  getAnalyzerInfo: Unary<AnalyzerInfo>;
  analyze: Unary<AnalyzeResponse>;
  analyzeStack: Unary<AnalyzeResponse>;
  close(): void;
}

const requireFromPolicy = createRequire(createRequire(import.meta.url).resolve("@pulumi/policy/package.json"));
const grpc = requireFromPolicy("@grpc/grpc-js") as { credentials: { createInsecure(): unknown } };
const analyzerRpc = requireFromPolicy("@pulumi/pulumi/proto/analyzer_grpc_pb") as {
  AnalyzerClient: new (address: string, credentials: unknown) => AnalyzerClient;
};
const analyzerProto = requireFromPolicy("@pulumi/pulumi/proto/analyzer_pb") as Record<
  "AnalyzeRequest" | "AnalyzeStackRequest" | "AnalyzerResource" | "AnalyzerResourceOptions",
  MessageClass
>;
const { Struct } = requireFromPolicy("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(value: unknown): Message } };
const { Empty } = requireFromPolicy("google-protobuf/google/protobuf/empty_pb") as { Empty: MessageClass };

/** A resource as the engine describes it (the pack insists on resource options being present). */
function describeResource(message: Message, type: string, name: string, props: Record<string, unknown>): Message {
  return message
    .setType(type)
    .setName(name)
    .setUrn(`urn:pulumi:dev::runner-fleet::${type}::${name}`)
    .setProperties(Struct.fromJavaScript(props))
    .setOptions(new analyzerProto.AnalyzerResourceOptions());
}

const policyDir = fileURLToPath(new URL("../../../policy/", import.meta.url));
const levels = ["advisory", "mandatory", "disabled", "remediate"];

let pack: ChildProcess;
let client: AnalyzerClient;

beforeAll(async () => {
  pack = spawn(process.execPath, ["--import", "tsx", "index.ts"], { cwd: policyDir, stdio: ["ignore", "pipe", "pipe"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    let err = "";
    pack.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^(\d+)\s*$/m.exec(out);
      if (match) resolve(Number(match[1]));
    });
    pack.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    pack.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${err}`)));
  });
  client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 30_000);

afterAll(() => {
  client?.close();
  pack?.kill();
});

function call<Res>(method: Unary<Res>, request: Message): Promise<Res> {
  return new Promise((resolve, reject) => method.call(client, request, (error, response) => (error ? reject(error) : resolve(response))));
}

describe("the served policy pack", () => {
  it("announces every policy with its enforcement level", async () => {
    const info = await call(client.getAnalyzerInfo, new Empty());
    expect(info.getName()).toBe("runner-fleet");
    const served = info.getPoliciesList().map((p) => [p.getName(), levels[p.getEnforcementlevel()]]);
    expect(served).toEqual(policies.map((p) => [p.name, p.enforcementLevel]));
  });

  it("refuses an open runner group when the engine analyzes it", async () => {
    const request = describeResource(new analyzerProto.AnalyzeRequest(), t.runnerGroup, "group", {
      name: "fleet",
      visibility: "all",
      selectedRepositoryIds: [1],
    });
    const response = await call(client.analyze, request);
    const diagnostics = response.getDiagnosticsList().map((d) => [d.getPolicyname(), levels[d.getEnforcementlevel()], d.getMessage()]);
    expect(diagnostics).toEqual([
      [
        "runner-group-selected-private-only",
        "mandatory",
        // The pack prefixes each message with the policy's description.
        `${runnerGroupVisibility.description}\nrunner group "fleet" has visibility "all": it must be "selected"`,
      ],
    ]);
  });

  it("refuses an exposed controller without a webhook secret when the engine analyzes the stack", async () => {
    const host = describeResource(new analyzerProto.AnalyzerResource(), componentTypes.host, "hv1", {
      name: "hv1",
      listenAddress: "0.0.0.0",
      webhookSecretConfigured: false,
      vcpus: 4,
      memoryMiB: 4096,
      poolSizes: [],
    });
    const request = new analyzerProto.AnalyzeStackRequest().setResourcesList([host]);
    const response = await call(client.analyzeStack, request);
    const diagnostics = response.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getMessage()]);
    expect(diagnostics).toEqual([
      [
        "controller-not-exposed-without-webhook-secret",
        `${controllerNotExposedWithoutSecret.description}\nhost hv1: the controller listens on 0.0.0.0 without a webhook secret`,
      ],
    ]);
  });
});
