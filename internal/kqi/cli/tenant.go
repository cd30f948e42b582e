package cli

import (
	"net/http"

	"github.com/spf13/cobra"
)

func (a *app) tenantCmd() *cobra.Command {
	cmd := group("tenant", "Administer tenants (administrators)")
	cmd.AddCommand(
		a.listCmd("List tenants", "/admin/tenants", filters("name", "name", "display-name", "displayName"),
			cols("id", "name", "display_name=displayName", "storage_path=storagePath")),
		a.getCmd("Show a tenant", "/admin/tenants/%d"),
		a.tenantEditCmd(true), a.tenantEditCmd(false),
		a.actionCmd("delete", "Delete a tenant", http.MethodDelete, "/admin/tenants/%d", "deleted"))
	return cmd
}

// tenantEditCmd is `create` (create) or `update ID`.
func (a *app) tenantEditCmd(create bool) *cobra.Command {
	var name, display string
	var gitIDs, registryIDs, groupIDs []int64
	var defGit, defRegistry, storage int64
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Create a tenant",
		Example: "  kqi tenant create -n team-a -dn \"Team A\" -gid 1 -rid 1 -sid 1",
		Args:    noArgs,
	}
	if !create {
		cmd.Use, cmd.Short, cmd.Args = "update ID", "Change a tenant", exactArgs(1)
		cmd.Example = "  kqi tenant update 2 -dn \"Team A\" -gid 1 -gid 3 -dgid 3 -rid 1 -sid 1"
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		body := map[string]any{"displayName": display, "gitIds": gitIDs, "registryIds": registryIDs,
			"storageId": storage, "userGroupIds": groupIDs}
		if defGit > 0 {
			body["defaultGitId"] = defGit
		}
		if defRegistry > 0 {
			body["defaultRegistryId"] = defRegistry
		}
		if !create {
			return a.put(cmd.Context(), "/admin/tenants/"+args[0], body, "updated")
		}
		body["tenantName"] = name
		cl, err := a.client()
		if err != nil {
			return err
		}
		var out any
		if err := cl.Do(cmd.Context(), http.MethodPost, "/admin/tenants", nil, body, &out); err != nil {
			return err
		}
		return a.printDone(out, "created", field(out, "id"))
	})
	f := cmd.Flags()
	if create {
		f.StringVarP(&name, "name", "n", "", "the tenant's name")
		_ = cmd.MarkFlagRequired("name")
	}
	f.StringVar(&display, "display-name", "", "the tenant's display name")
	f.Int64SliceVar(&gitIDs, "git-ids", nil, "a git server ID (repeatable)")
	f.Int64Var(&defGit, "default-git-id", 0, "the default git server")
	f.Int64SliceVar(&registryIDs, "registry-ids", nil, "a registry ID (repeatable)")
	f.Int64Var(&defRegistry, "default-registry-id", 0, "the default registry")
	f.Int64Var(&storage, "storage-id", 0, "the storage ID")
	f.Int64SliceVar(&groupIDs, "user-group-ids", nil, "a user group ID (repeatable)")
	for long, short := range map[string]string{"display-name": "dn", "git-ids": "gid", "default-git-id": "dgid",
		"registry-ids": "rid", "default-registry-id": "drid", "storage-id": "sid", "user-group-ids": "ugid"} {
		longShort(f, long, short)
	}
	for _, r := range []string{"display-name", "git-ids", "registry-ids", "storage-id"} {
		_ = cmd.MarkFlagRequired(r)
	}
	return cmd
}
