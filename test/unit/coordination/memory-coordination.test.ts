import { ManualClock } from "../../../runtime/ports/clock.ts";
import { MemoryCoordination } from "../../../runtime/coordination/memory-coordination.ts";
import { describeCoordinationContract } from "../../contract/coordination.contract.ts";

describeCoordinationContract("in memory", async () => {
  const clock = new ManualClock();
  const leaseMs = 30_000;
  return {
    coordination: new MemoryCoordination(clock, leaseMs),
    leaseMs,
    pass: async (ms) => clock.advance(ms),
    close: async () => undefined,
  };
});
