-- +goose Up
-- Cluster management: the nodes the administrator registered (who may use
-- them, in which partition), hourly resource samples and one history row
-- per ended job (reference §3, Nodes … ResourceJobs). Tenants' quotas are
-- tenants.limit_cpu/limit_memory/limit_gpu (0 or NULL = unlimited).

CREATE TABLE nodes (
    id {{.PK}},
    name TEXT NOT NULL UNIQUE,
    memo TEXT NOT NULL DEFAULT '',
    partition_name TEXT NOT NULL DEFAULT '',
    -- 0 Disabled, 1 Private (only the tenants of node_tenant_maps), 2 Public
    access_level INTEGER NOT NULL DEFAULT 0,
    tensorboard_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    notebook_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE node_tenant_maps (
    node_id {{.Int}} NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    UNIQUE (node_id, tenant_id)
);
CREATE INDEX node_tenant_maps_tenant ON node_tenant_maps (tenant_id);

-- A sample is one snapshot: the nodes with their capacity, and under each
-- the jobs that held resources there. Jobs not yet placed are under a node
-- row with an empty name. Tenants are copied by id and name so that the
-- history outlives them.
CREATE TABLE resource_samples (
    id {{.PK}},
    sampled_at {{.Time}} NOT NULL
);
CREATE INDEX resource_samples_at ON resource_samples (sampled_at);

CREATE TABLE resource_nodes (
    id {{.PK}},
    sample_id {{.Int}} NOT NULL REFERENCES resource_samples(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    cpu INTEGER NOT NULL DEFAULT 0,
    memory INTEGER NOT NULL DEFAULT 0,
    gpu INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX resource_nodes_sample ON resource_nodes (sample_id);

CREATE TABLE resource_containers (
    id {{.PK}},
    node_id {{.Int}} NOT NULL REFERENCES resource_nodes(id) ON DELETE CASCADE,
    tenant_id {{.Int}} NOT NULL DEFAULT 0,
    tenant_name TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    cpu INTEGER NOT NULL DEFAULT 0,
    memory INTEGER NOT NULL DEFAULT 0,
    gpu INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT ''
);
CREATE INDEX resource_containers_node ON resource_containers (node_id);

-- One row per ended job, with the capacity of its node at that time.
CREATE TABLE resource_jobs (
    id {{.PK}},
    node_name TEXT NOT NULL DEFAULT '',
    node_cpu INTEGER NOT NULL DEFAULT 0,
    node_memory INTEGER NOT NULL DEFAULT 0,
    node_gpu INTEGER NOT NULL DEFAULT 0,
    tenant_id {{.Int}} NOT NULL,
    tenant_name TEXT NOT NULL,
    job_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    job_id {{.Int}} NOT NULL,
    job_created_at {{.Time}} NOT NULL,
    job_started_at {{.Time}},
    job_completed_at {{.Time}} NOT NULL,
    cpu INTEGER NOT NULL DEFAULT 0,
    memory INTEGER NOT NULL DEFAULT 0,
    gpu INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL
);
CREATE INDEX resource_jobs_completed ON resource_jobs (job_completed_at);

-- Set once the runner's nodes were registered on the first start, so that
-- deleting every node later does not bring them back.
ALTER TABLE settings ADD COLUMN nodes_seeded BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE settings DROP COLUMN nodes_seeded;
DROP TABLE resource_jobs;
DROP TABLE resource_containers;
DROP TABLE resource_nodes;
DROP TABLE resource_samples;
DROP TABLE node_tenant_maps;
DROP TABLE nodes;
