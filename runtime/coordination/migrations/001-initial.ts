/** Migration 1: jobs (keyed by GitHub's job id, with leases), hosts (heartbeats) and job history. */
export default `
CREATE TABLE jobs (
  id            bigint PRIMARY KEY,
  run_id        bigint NOT NULL,
  repository    text NOT NULL,
  labels        text[] NOT NULL,
  queued_at     timestamptz NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'claimed', 'taken', 'done')),
  host          text,
  token         bigint NOT NULL DEFAULT 0,
  claimed_at    timestamptz,
  lease_expires timestamptz
);
CREATE INDEX jobs_open ON jobs (queued_at, id) WHERE state IN ('queued', 'claimed');
CREATE INDEX jobs_by_host ON jobs (host) WHERE state IN ('claimed', 'taken');

CREATE TABLE hosts (
  name    text PRIMARY KEY,
  facts   jsonb NOT NULL,
  seen_at timestamptz NOT NULL
);

CREATE TABLE job_history (
  host       text NOT NULL,
  name       text NOT NULL,
  pool       text NOT NULL,
  job_id     bigint,
  repository text,
  outcome    text NOT NULL,
  reason     text NOT NULL,
  detail     text NOT NULL,
  times      jsonb NOT NULL,
  ended_at   timestamptz NOT NULL,
  PRIMARY KEY (host, name)
);
CREATE INDEX job_history_ended ON job_history (ended_at DESC);
`;
