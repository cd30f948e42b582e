-- +goose Up
-- Jobs: trainings, inferences and preprocessing runs share one table (the
-- original kept one per kind with the same columns; reference §3.2), told
-- apart by kind. Preprocess definitions keep their own table.

CREATE TABLE preprocesses (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    memo TEXT NOT NULL DEFAULT '',
    entry_point TEXT NOT NULL DEFAULT '',
    git_id {{.Int}} REFERENCES gits(id),
    repository TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    branch TEXT NOT NULL DEFAULT '',
    commit_id TEXT NOT NULL DEFAULT '',
    registry_id {{.Int}} REFERENCES registries(id),
    image TEXT NOT NULL DEFAULT '',
    tag TEXT NOT NULL DEFAULT '',
    cpu INTEGER NOT NULL DEFAULT 0,
    memory INTEGER NOT NULL DEFAULT 0,
    gpu INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX preprocesses_tenant ON preprocesses (tenant_id);

CREATE TABLE jobs (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    display_id {{.Int}} NOT NULL,
    name TEXT NOT NULL,
    memo TEXT NOT NULL DEFAULT '',
    favorite BOOLEAN NOT NULL DEFAULT FALSE,
    user_id {{.Int}} REFERENCES users(id) ON DELETE SET NULL,
    -- status is the original's key (KQI-Completed, Pending, OOMKilled...);
    -- note says why (queued for what, which exit code).
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    dataset_id {{.Int}} REFERENCES datasets(id),
    git_id {{.Int}} REFERENCES gits(id),
    repository TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    branch TEXT NOT NULL DEFAULT '',
    commit_id TEXT NOT NULL DEFAULT '',
    git_url TEXT NOT NULL DEFAULT '',
    entry_point TEXT NOT NULL DEFAULT '',
    registry_id {{.Int}} REFERENCES registries(id),
    image TEXT NOT NULL DEFAULT '',
    tag TEXT NOT NULL DEFAULT '',
    image_ref TEXT NOT NULL DEFAULT '',
    options TEXT NOT NULL DEFAULT '{}',
    cpu INTEGER NOT NULL DEFAULT 0,
    memory INTEGER NOT NULL DEFAULT 0,
    gpu INTEGER NOT NULL DEFAULT 0,
    partition_name TEXT NOT NULL DEFAULT '',
    ports TEXT NOT NULL DEFAULT '[]',
    zip BOOLEAN NOT NULL DEFAULT FALSE,
    local_dataset BOOLEAN NOT NULL DEFAULT FALSE,
    node TEXT NOT NULL DEFAULT '',
    devices TEXT NOT NULL DEFAULT '',
    exit_code INTEGER,
    output_value TEXT NOT NULL DEFAULT '',
    preprocess_id {{.Int}} REFERENCES preprocesses(id),
    input_data_id {{.Int}} REFERENCES data(id),
    started_at {{.Time}},
    job_started_at {{.Time}},
    completed_at {{.Time}},
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (tenant_id, kind, display_id),
    UNIQUE (preprocess_id, input_data_id)
);
CREATE INDEX jobs_tenant_kind ON jobs (tenant_id, kind, id);
CREATE INDEX jobs_status ON jobs (status);

-- Parents: trainings (and, for inferences, inferences) a job reads.
CREATE TABLE job_parents (
    job_id {{.Int}} NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    parent_id {{.Int}} NOT NULL REFERENCES jobs(id),
    PRIMARY KEY (job_id, parent_id)
);
CREATE INDEX job_parents_parent ON job_parents (parent_id);

CREATE TABLE job_tag_maps (
    job_id {{.Int}} NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    tag_id {{.Int}} NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (job_id, tag_id)
);

-- Files users attach to a job (the container's own files are listed from
-- storage).
CREATE TABLE job_files (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    job_id {{.Int}} NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    size {{.Int}} NOT NULL,
    sha256 TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (job_id, file_name)
);

-- Outputs of a preprocessing run: the data it created.
CREATE TABLE job_output_data (
    job_id {{.Int}} NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    data_id {{.Int}} NOT NULL REFERENCES data(id) ON DELETE CASCADE,
    PRIMARY KEY (job_id, data_id)
);

CREATE TABLE training_search_histories (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id {{.Int}} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- +goose Down
DROP TABLE training_search_histories;
DROP TABLE job_output_data;
DROP TABLE job_files;
DROP TABLE job_tag_maps;
DROP TABLE job_parents;
DROP TABLE jobs;
DROP TABLE preprocesses;
