-- +goose Up
-- Data, data files, tags, datasets and the record of completed uploads
-- (reference §3.2). Every tenant-scoped row carries tenant_id and every
-- query filters by it.

-- Storage endpoints gain what a non-default backend needs: S3 region,
-- bucket (empty: one bucket per tenant), path-style addressing, and the
-- directory where the server sees an NFS export. The secret key is sealed.
ALTER TABLE storages ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE storages ADD COLUMN bucket TEXT NOT NULL DEFAULT '';
ALTER TABLE storages ADD COLUMN path_style BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE storages ADD COLUMN directory TEXT NOT NULL DEFAULT '';

-- Per-tenant counters for display ids; one upsert both creates and bumps.
CREATE TABLE tenant_counters (
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value {{.Int}} NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE data_types (
    id {{.PK}},
    name TEXT NOT NULL UNIQUE,
    sort_order INTEGER NOT NULL
);
INSERT INTO data_types (name, sort_order) VALUES ('training', 1), ('testing', 2), ('validation', 3);

CREATE TABLE tags (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type INTEGER NOT NULL,
    UNIQUE (tenant_id, type, name)
);

CREATE TABLE data (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    display_id {{.Int}} NOT NULL,
    name TEXT NOT NULL,
    memo TEXT NOT NULL DEFAULT '',
    parent_data_id {{.Int}} REFERENCES data(id) ON DELETE SET NULL,
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (tenant_id, display_id)
);
CREATE INDEX data_tenant ON data (tenant_id);

CREATE TABLE data_files (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    data_id {{.Int}} NOT NULL REFERENCES data(id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    size {{.Int}} NOT NULL,
    sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (data_id, file_name),
    UNIQUE (tenant_id, stored_path)
);

CREATE TABLE data_tag_maps (
    data_id {{.Int}} NOT NULL REFERENCES data(id) ON DELETE CASCADE,
    tag_id {{.Int}} NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (data_id, tag_id)
);

CREATE TABLE datasets (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    display_id {{.Int}} NOT NULL,
    name TEXT NOT NULL,
    memo TEXT NOT NULL DEFAULT '',
    is_flat BOOLEAN NOT NULL DEFAULT FALSE,
    is_locked BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (tenant_id, display_id)
);

-- data_type_id is NULL in flat datasets.
CREATE TABLE dataset_entries (
    id {{.PK}},
    dataset_id {{.Int}} NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    data_id {{.Int}} NOT NULL REFERENCES data(id) ON DELETE CASCADE,
    data_type_id {{.Int}} REFERENCES data_types(id)
);
CREATE INDEX dataset_entries_dataset ON dataset_entries (dataset_id);
CREATE INDEX dataset_entries_data ON dataset_entries (data_id);

-- Completed uploads (multipart or streamed) with their size and SHA-256,
-- until a data file or attachment claims them (the row is then deleted:
-- the owner's row keeps size and SHA-256). Unclaimed ones are removed with
-- their objects once they are older than the URL lifetime.
CREATE TABLE uploads (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    object_key TEXT NOT NULL,
    size {{.Int}} NOT NULL,
    sha256 TEXT NOT NULL,
    created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (tenant_id, object_key)
);

-- +goose Down
DROP TABLE uploads;
DROP TABLE dataset_entries;
DROP TABLE datasets;
DROP TABLE data_tag_maps;
DROP TABLE data_files;
DROP TABLE data;
DROP TABLE tags;
DROP TABLE data_types;
DROP TABLE tenant_counters;
ALTER TABLE storages DROP COLUMN directory;
ALTER TABLE storages DROP COLUMN path_style;
ALTER TABLE storages DROP COLUMN bucket;
ALTER TABLE storages DROP COLUMN region;
