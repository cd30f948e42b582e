package store

import (
	"database/sql"
	"time"
)

// Audit holds the who/when columns every table carries.
type Audit struct {
	CreatedBy  string    `db:"created_by"`
	CreatedAt  time.Time `db:"created_at"`
	ModifiedBy string    `db:"modified_by"`
	ModifiedAt time.Time `db:"modified_at"`
}

// Tenant is a group of users sharing data, jobs and quotas.
type Tenant struct {
	ID                            int64         `db:"id"`
	Name                          string        `db:"name"`
	DisplayName                   string        `db:"display_name"`
	StorageID                     int64         `db:"storage_id"`
	StorageBucket                 string        `db:"storage_bucket"`
	DefaultGitID                  sql.NullInt64 `db:"default_git_id"`
	DefaultRegistryID             sql.NullInt64 `db:"default_registry_id"`
	LimitCPU                      sql.NullInt64 `db:"limit_cpu"`
	LimitMemory                   sql.NullInt64 `db:"limit_memory"`
	LimitGPU                      sql.NullInt64 `db:"limit_gpu"`
	AvailableInfiniteTimeNotebook bool          `db:"available_infinite_time_notebook"`
	Audit
}

// ServiceType of a user: how it authenticates.
const (
	UserServiceLocal = 1
	UserServiceLDAP  = 2
)

// User is a login identity.
type User struct {
	ID              int64         `db:"id"`
	Name            string        `db:"name"`
	DisplayName     string        `db:"display_name"`
	DefaultTenantID sql.NullInt64 `db:"default_tenant_id"`
	ServiceType     int           `db:"service_type"`
	PasswordHash    string        `db:"password_hash"`
	TokenGeneration int64         `db:"token_generation"`
	SlackURL        string        `db:"slack_url"`
	Mention         string        `db:"mention"`
	Audit
}

// Role grants menus; system roles apply everywhere, tenant roles within a tenant.
type Role struct {
	ID            int64         `db:"id"`
	Name          string        `db:"name"`
	DisplayName   string        `db:"display_name"`
	SortOrder     int           `db:"sort_order"`
	TenantID      sql.NullInt64 `db:"tenant_id"`
	IsSystemRole  bool          `db:"is_system_role"`
	IsNotEditable bool          `db:"is_not_editable"`
	Audit
}

// UserRole is one role held by a user; InTenant is the tenant it is held
// in, NULL for system roles.
type UserRole struct {
	UserID   int64         `db:"user_id"`
	InTenant sql.NullInt64 `db:"in_tenant_id"`
	Role
}

// Membership is a user's membership of a tenant.
type Membership struct {
	UserID int64 `db:"user_id"`
	Tenant
}

// Storage, Git and Registry are the seeded/admin-managed endpoints a tenant refers to.
type Storage struct {
	ID            int64  `db:"id"`
	Name          string `db:"name"`
	ServerAddress string `db:"server_address"` // S3 endpoint URL; empty for a directory
	AccessKey     string `db:"access_key"`
	SecretSealed  string `db:"secret_key"` // sealed by internal/secret
	Region        string `db:"region"`
	Bucket        string `db:"bucket"` // empty: one bucket per tenant
	PathStyle     bool   `db:"path_style"`
	Directory     string `db:"directory"` // where the server sees the files (an NFS mount)
	NfsServer     string `db:"nfs_server"`
	NfsRoot       string `db:"nfs_root"`
	Audit
}

// Named is an id with a name, for existence checks and pickers.
type Named struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// NullInt turns 0 into NULL.
func NullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

// Data is a named set of uploaded files in a tenant.
type Data struct {
	ID           int64         `db:"id"`
	TenantID     int64         `db:"tenant_id"`
	DisplayID    int64         `db:"display_id"`
	Name         string        `db:"name"`
	Memo         string        `db:"memo"`
	ParentDataID sql.NullInt64 `db:"parent_data_id"` // the input of the preprocessing that made it
	Audit
}

// DataFile is one file of a data, stored at <tenant>/Data/<StoredPath>.
type DataFile struct {
	ID         int64     `db:"id"`
	TenantID   int64     `db:"tenant_id"`
	DataID     int64     `db:"data_id"`
	FileName   string    `db:"file_name"`
	StoredPath string    `db:"stored_path"`
	Size       int64     `db:"size"`
	SHA256     string    `db:"sha256"`
	CreatedBy  string    `db:"created_by"`
	CreatedAt  time.Time `db:"created_at"`
}

// Tag types, as the original's Tags.Type.
const (
	TagData     = 1
	TagTraining = 2
)

// DataType classifies dataset entries (training, testing, validation).
type DataType struct {
	ID        int64  `db:"id"`
	Name      string `db:"name"`
	SortOrder int    `db:"sort_order"`
}

// Dataset groups data for jobs, by data type or flat.
type Dataset struct {
	ID        int64  `db:"id"`
	TenantID  int64  `db:"tenant_id"`
	DisplayID int64  `db:"display_id"`
	Name      string `db:"name"`
	Memo      string `db:"memo"`
	IsFlat    bool   `db:"is_flat"`
	IsLocked  bool   `db:"is_locked"` // used by a training: entries are frozen
	Audit
}

// DatasetEntry puts one data into a dataset, under a type unless flat.
type DatasetEntry struct {
	DatasetID  int64         `db:"dataset_id"`
	DataID     int64         `db:"data_id"`
	DataTypeID sql.NullInt64 `db:"data_type_id"`
}

// Upload is a completed upload waiting to be claimed by a data file or an
// attachment.
type Upload struct {
	ID        int64     `db:"id"`
	TenantID  int64     `db:"tenant_id"`
	ObjectKey string    `db:"object_key"` // <ResourceType>/<stored path>
	Size      int64     `db:"size"`
	SHA256    string    `db:"sha256"`
	CreatedAt time.Time `db:"created_at"`
}
