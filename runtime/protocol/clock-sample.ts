/**
 * Comparing a guest's clock with the service's, NTP-style, from one request and its answer:
 * the guest stamps when it sent and when it got the answer (its clock), the service stamps when
 * it received and when it answered (its clock). The offset is exact when the network delay is the
 * same both ways; whatever the delays, the error is at most half the round trip.
 */

/** One round trip, each instant in epoch ms on the clock of the side that took it. */
export interface ClockSample {
  guestSentAt: number;
  serviceReceivedAt: number;
  serviceSentAt: number;
  guestReceivedAt: number;
}

export interface ClockOffset {
  /** Add to a guest instant to get the service's instant (positive: the guest clock is behind). */
  offsetMs: number;
  /** Network round trip, the service's own time left out; the offset is good to ± half of it. */
  roundTripMs: number;
}

export function estimateClockOffset(sample: ClockSample): ClockOffset {
  const roundTripMs = sample.guestReceivedAt - sample.guestSentAt - (sample.serviceSentAt - sample.serviceReceivedAt);
  const offsetMs = (sample.serviceReceivedAt - sample.guestSentAt + (sample.serviceSentAt - sample.guestReceivedAt)) / 2;
  return { offsetMs, roundTripMs: Math.max(0, roundTripMs) };
}

/** Whether a value is a well-formed sample (a service reads it from a runner's report). */
export function isClockSample(value: unknown): value is ClockSample {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const keys = ["guestSentAt", "serviceReceivedAt", "serviceSentAt", "guestReceivedAt"] as const;
  return keys.every((key) => typeof v[key] === "number" && Number.isFinite(v[key])) &&
    (v.guestReceivedAt as number) >= (v.guestSentAt as number) &&
    (v.serviceSentAt as number) >= (v.serviceReceivedAt as number);
}
