import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jobPickup } from "../../../runtime/lab/job-pickup.ts";
import { estimateClockOffset, isClockSample, type ClockSample } from "../../../runtime/protocol/clock-sample.ts";

const sample = (guestSentAt: number, serviceReceivedAt: number, serviceSentAt: number, guestReceivedAt: number): ClockSample => ({
  guestSentAt,
  serviceReceivedAt,
  serviceSentAt,
  guestReceivedAt,
});

describe("estimateClockOffset", () => {
  it.each([
    // guest 500 ms behind, 10 ms each way, the service took 2 ms
    { s: sample(1000, 1510, 1512, 1022), offset: 500, roundTrip: 20 },
    // guest 300 ms ahead, symmetric 5 ms
    { s: sample(2000, 1705, 1705, 2010), offset: -300, roundTrip: 10 },
    // same clock, asymmetric delays (1 ms there, 9 ms back): error is half the difference
    { s: sample(0, 1, 1, 10), offset: -4, roundTrip: 10 },
  ])("offset $offset ms over a $roundTrip ms round trip", ({ s, offset, roundTrip }) => {
    expect(estimateClockOffset(s)).toEqual({ offsetMs: offset, roundTripMs: roundTrip });
  });

  it("is within half the round trip of the true offset, whatever the delays", () => {
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 5000 }), fc.nat(500), fc.nat(500), fc.nat(50), (truth, there, back, held) => {
        const guestSentAt = 1_000_000;
        const serviceReceivedAt = guestSentAt + truth + there;
        const serviceSentAt = serviceReceivedAt + held;
        const guestReceivedAt = serviceSentAt - truth + back;
        const { offsetMs, roundTripMs } = estimateClockOffset(sample(guestSentAt, serviceReceivedAt, serviceSentAt, guestReceivedAt));
        expect(roundTripMs).toBe(there + back);
        expect(Math.abs(offsetMs - truth)).toBeLessThanOrEqual(roundTripMs / 2);
      }),
    );
  });

  it.each([
    [{ guestSentAt: 1, serviceReceivedAt: 2, serviceSentAt: 3, guestReceivedAt: 4 }, true],
    [{ guestSentAt: 5, serviceReceivedAt: 2, serviceSentAt: 3, guestReceivedAt: 4 }, false],
    [{ guestSentAt: 1, serviceReceivedAt: 3, serviceSentAt: 2, guestReceivedAt: 4 }, false],
    [{ guestSentAt: 1, serviceReceivedAt: 2, serviceSentAt: 3 }, false],
    [{ guestSentAt: "1", serviceReceivedAt: 2, serviceSentAt: 3, guestReceivedAt: 4 }, false],
    [null, false],
  ])("isClockSample(%j) is %s", (value, ok) => {
    expect(isClockSample(value)).toBe(ok);
  });
});

describe("jobPickup", () => {
  const job = (guestStart: number | null, clock: ClockSample | null, startedAt: number | null = 10_100) => ({
    createdAt: 10_000,
    startedAt,
    runnerClock: clock,
    stepResults: guestStart === null ? [] : [{ reportedStartedAt: guestStart } as never],
  });
  // The guest's clock is 700 ms behind: its 9_500 is the host's 10_200.
  const behind = sample(5000, 5705, 5705, 5010);

  it.each([
    { name: "guest behind: its stamp is moved forward", j: job(9_500, behind), firstStep: 200, handedOut: 100, clamped: false },
    { name: "a naive difference would be negative", j: job(9_350, behind), firstStep: 100, handedOut: 100, clamped: true },
    { name: "no clock comparison: no first-step figure", j: job(9_500, null), firstStep: undefined, handedOut: 100, clamped: false },
    { name: "no step reported", j: job(null, behind), firstStep: undefined, handedOut: 100, clamped: false },
    { name: "not handed out", j: job(null, null, null), firstStep: undefined, handedOut: undefined, clamped: false },
  ])("$name", ({ j, firstStep, handedOut, clamped }) => {
    const pickup = jobPickup(j);
    expect(pickup.firstStepMs).toBe(firstStep);
    expect(pickup.handedOutMs).toBe(handedOut);
    expect(pickup.clamped).toBe(clamped);
  });
});
