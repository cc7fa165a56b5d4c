-- The lease that decides which of two `hotline serve` processes is active
-- (internal/lease): the active one renews it; the standby takes it over
-- once it has expired. token grows by one at every change of holder, so
-- everything the active process does can be fenced by it.
CREATE TABLE leader_lease (
    name       text PRIMARY KEY,          -- the ARI application the lease is for
    holder     text NOT NULL,             -- the process holding it (host, pid, random)
    token      bigint NOT NULL,           -- fencing token
    acquired_at timestamptz NOT NULL,
    renewed_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
