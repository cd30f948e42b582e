-- +goose Up
-- Per-user credentials for the git endpoints and registries of a tenant,
-- encrypted at rest by the server (internal/secret); the original kept them
-- in plain text.

CREATE TABLE user_git_tokens (
    id {{.PK}},
    user_id {{.Int}} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    git_id {{.Int}} NOT NULL REFERENCES gits(id) ON DELETE CASCADE,
    token_sealed TEXT NOT NULL DEFAULT '',
    modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (user_id, tenant_id, git_id)
);

CREATE TABLE user_registry_credentials (
    id {{.PK}},
    user_id {{.Int}} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id {{.Int}} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    registry_id {{.Int}} NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
    user_name TEXT NOT NULL DEFAULT '',
    password_sealed TEXT NOT NULL DEFAULT '',
    modified_at {{.Time}} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (user_id, tenant_id, registry_id)
);

-- +goose Down
DROP TABLE user_registry_credentials;
DROP TABLE user_git_tokens;
