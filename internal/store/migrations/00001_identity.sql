-- +goose Up
-- Identity and tenancy: the tables of the original's system-wide schema that
-- login, tenants, users, roles and menus need, plus the seed records that the
-- original's request bodies refer to by id (git 1, registry 1, storage 1).

CREATE TABLE settings (
    id {{.PK}},
    jwt_secret TEXT NOT NULL,
    created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE storages (
    id {{.PK}},
    name TEXT NOT NULL UNIQUE,
    server_address TEXT NOT NULL DEFAULT '',
    access_key TEXT NOT NULL DEFAULT '',
    secret_key TEXT NOT NULL DEFAULT '',
    nfs_server TEXT NOT NULL DEFAULT '',
    nfs_root TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE gits (
    id {{.PK}},
    name TEXT NOT NULL,
    service_type INTEGER NOT NULL,
    api_url TEXT NOT NULL,
    repository_url TEXT NOT NULL,
    is_not_editable BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE registries (
    id {{.PK}},
    name TEXT NOT NULL UNIQUE,
    host TEXT NOT NULL,
    port_no INTEGER NOT NULL,
    service_type INTEGER NOT NULL,
    project_name TEXT NOT NULL DEFAULT '',
    api_url TEXT NOT NULL,
    registry_url TEXT NOT NULL,
    is_not_editable BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE tenants (
    id {{.PK}},
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    storage_id {{.Int}} NOT NULL REFERENCES storages(id),
    storage_bucket TEXT NOT NULL,
    default_git_id {{.Int}} REFERENCES gits(id),
    default_registry_id {{.Int}} REFERENCES registries(id),
    limit_cpu INTEGER,
    limit_memory INTEGER,
    limit_gpu INTEGER,
    available_infinite_time_notebook BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE tenant_git_maps (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    git_id {{.Int}} NOT NULL REFERENCES gits(id),
    UNIQUE (tenant_id, git_id)
);

CREATE TABLE tenant_registry_maps (
    id {{.PK}},
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    registry_id {{.Int}} NOT NULL REFERENCES registries(id),
    UNIQUE (tenant_id, registry_id)
);

CREATE TABLE users (
    id {{.PK}},
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    default_tenant_id {{.Int}} REFERENCES tenants(id),
    service_type INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT NOT NULL DEFAULT '',
    -- Bumped on every password change; tokens carry it, so older tokens stop working.
    token_generation INTEGER NOT NULL DEFAULT 0,
    slack_url TEXT NOT NULL DEFAULT '',
    mention TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE user_tenant_maps (
    id {{.PK}},
    user_id {{.Int}} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    UNIQUE (user_id, tenant_id)
);

-- tenant_id NULL: a common role (system role, or tenant role usable in every
-- tenant); set: a tenant's custom role. scope_key mirrors tenant_id with 0
-- for NULL so that one unique index covers both.
CREATE TABLE roles (
    id {{.PK}},
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0,
    tenant_id {{.Int}} REFERENCES tenants(id) ON DELETE CASCADE,
    scope_key {{.Int}} NOT NULL DEFAULT 0,
    is_system_role BOOLEAN NOT NULL DEFAULT FALSE,
    is_not_editable BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL DEFAULT '', created_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modified_by TEXT NOT NULL DEFAULT '', modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (scope_key, name)
);

-- tenant_id NULL: a system role of the user; set: a role within that tenant.
CREATE TABLE user_role_maps (
    id {{.PK}},
    user_id {{.Int}} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id {{.Int}} NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    tenant_id {{.Int}} REFERENCES tenants(id) ON DELETE CASCADE,
    scope_key {{.Int}} NOT NULL DEFAULT 0,
    UNIQUE (user_id, role_id, scope_key)
);

CREATE TABLE menu_role_maps (
    id {{.PK}},
    menu_code TEXT NOT NULL,
    role_id {{.Int}} NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    UNIQUE (menu_code, role_id)
);

INSERT INTO storages (name, created_by, modified_by) VALUES ('default', 'system', 'system');

INSERT INTO gits (name, service_type, api_url, repository_url, is_not_editable, created_by, modified_by)
VALUES ('GitHub', 1, 'https://api.github.com', 'https://github.com', TRUE, 'system', 'system'),
       ('GitLab.com', 3, 'https://gitlab.com', 'https://gitlab.com', TRUE, 'system', 'system');

INSERT INTO registries (name, host, port_no, service_type, api_url, registry_url, is_not_editable, created_by, modified_by)
VALUES ('official-docker-hub', 'registry.hub.docker.com', 80, 1, 'https://registry.hub.docker.com/', 'https://index.docker.io/', TRUE, 'system', 'system'),
       ('ngc', 'nvcr.io', 443, 4, 'https://nvcr.io/', 'https://nvcr.io/', TRUE, 'system', 'system');

INSERT INTO tenants (name, display_name, storage_id, storage_bucket, default_git_id, default_registry_id, created_by, modified_by)
VALUES ('sandbox', 'sandbox', 1, 'sandbox', 1, 1, 'system', 'system');
INSERT INTO tenant_git_maps (tenant_id, git_id) VALUES (1, 1);
INSERT INTO tenant_registry_maps (tenant_id, registry_id) VALUES (1, 1);

INSERT INTO roles (name, display_name, sort_order, is_system_role, is_not_editable, created_by, modified_by)
VALUES ('users', 'User', 10, FALSE, TRUE, 'system', 'system'),
       ('researchers', 'Researcher', 20, FALSE, TRUE, 'system', 'system'),
       ('managers', 'Manager', 30, FALSE, TRUE, 'system', 'system'),
       ('admins', 'Admin', 100, TRUE, TRUE, 'system', 'system');

INSERT INTO menu_role_maps (menu_code, role_id)
SELECT m.code, r.id FROM roles r JOIN (
    SELECT 'users' AS role, 'Data' AS code
    UNION ALL SELECT 'users', 'DataSet'
    UNION ALL SELECT 'researchers', 'Data'
    UNION ALL SELECT 'researchers', 'DataSet'
    UNION ALL SELECT 'researchers', 'Preprocess'
    UNION ALL SELECT 'researchers', 'Training'
    UNION ALL SELECT 'researchers', 'Inference'
    UNION ALL SELECT 'researchers', 'Notebook'
    UNION ALL SELECT 'managers', 'TenantSetting'
    UNION ALL SELECT 'managers', 'TenantRole'
    UNION ALL SELECT 'managers', 'TenantUser'
    UNION ALL SELECT 'managers', 'TenantMenu'
    UNION ALL SELECT 'managers', 'TenantResource'
    UNION ALL SELECT 'admins', 'Tenant'
    UNION ALL SELECT 'admins', 'Git'
    UNION ALL SELECT 'admins', 'Registry'
    UNION ALL SELECT 'admins', 'Storage'
    UNION ALL SELECT 'admins', 'Role'
    UNION ALL SELECT 'admins', 'Quota'
    UNION ALL SELECT 'admins', 'User'
    UNION ALL SELECT 'admins', 'Node'
    UNION ALL SELECT 'admins', 'Resource'
    UNION ALL SELECT 'admins', 'Menu'
) m ON m.role = r.name;

-- +goose Down
DROP TABLE menu_role_maps;
DROP TABLE user_role_maps;
DROP TABLE roles;
DROP TABLE user_tenant_maps;
DROP TABLE users;
DROP TABLE tenant_registry_maps;
DROP TABLE tenant_git_maps;
DROP TABLE tenants;
DROP TABLE registries;
DROP TABLE gits;
DROP TABLE storages;
DROP TABLE settings;
