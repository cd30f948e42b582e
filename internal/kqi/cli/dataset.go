package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kamonohashi-go/kamonohashi/internal/kqi/transfer"
)

func (a *app) datasetCmd() *cobra.Command {
	cmd := group("dataset", "Build datasets from data")
	cmd.AddCommand(
		a.listCmd("List datasets", "/datasets",
			filters("id", "Id", "name", "Name", "memo", "Memo", "created-at", "CreatedAt"),
			cols("id", "name", "created_at=createdAt", "memo")),
		a.getCmd("Show a dataset", "/datasets/%d"),
		a.jsonBodyCmd("create", "Create a dataset from a JSON file", http.MethodPost, "/datasets", "created", datasetJSONHelp),
		a.jsonBodyCmd("update", "Replace a dataset's entries from a JSON file", http.MethodPut, "/datasets/%s", "updated", datasetJSONHelp),
		a.metaCmd("Change the name or memo of a dataset", "/datasets/%d"),
		a.actionCmd("delete", "Delete a dataset", http.MethodDelete, "/datasets/%d", "deleted"),
		a.datasetDownloadCmd(), a.pathPairsCmd(), a.dataTypesCmd())
	return cmd
}

const datasetJSONHelp = `The file holds {"name": …, "memo": …, "entries": {"training": [{"id": DATA_ID}, …],
"testing": […], "validation": […]}}, or {"name": …, "isFlat": true, "flatEntries": [{"id": DATA_ID}]}.`

// jsonBodyCmd sends a JSON file as the body (the original's -f of
// dataset and preprocessing create/update). A pathFmt with %s takes an ID.
func (a *app) jsonBodyCmd(use, short, method, pathFmt, verb, help string) *cobra.Command {
	var file string
	hasID := strings.Contains(pathFmt, "%")
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  short + ". " + help,
		Args:  exactArgs(0),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			path := pathFmt
			if hasID {
				id, err := idArg(args, 0)
				if err != nil {
					return err
				}
				path = fmt.Sprintf(pathFmt, fmt.Sprint(id))
			}
			b, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("read %s: %w", file, err)
			}
			var body any
			if err := json.Unmarshal(b, &body); err != nil {
				return usageError{fmt.Errorf("%s is not JSON: %w", file, err)}
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			var out any
			if err := cl.Do(cmd.Context(), method, path, nil, body, &out); err != nil {
				return err
			}
			return a.printDone(out, verb, field(out, "id"))
		}),
	}
	if hasID {
		cmd.Use += " ID"
		cmd.Args = exactArgs(1)
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the JSON file")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// metaCmd is `update-meta-info ID -n -m` (PATCH of name and memo).
func (a *app) metaCmd(short, pathFmt string, extra ...func(*cobra.Command, map[string]any)) *cobra.Command {
	var name, memo string
	cmd := &cobra.Command{
		Use:   "update-meta-info ID",
		Short: short,
		Args:  exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, err := idArg(args, 0)
			if err != nil {
				return err
			}
			body := map[string]any{}
			if cmd.Flags().Changed("name") {
				body["name"] = name
			}
			if cmd.Flags().Changed("memo") {
				body["memo"] = memo
			}
			for _, e := range extra {
				e(cmd, body)
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			var out any
			if err := cl.Do(cmd.Context(), http.MethodPatch, fmt.Sprintf(pathFmt, id), nil, body, &out); err != nil {
				return err
			}
			return a.printDone(out, "meta-info updated", id)
		}),
	}
	cmd.Flags().StringVarP(&name, "name", "n", "", "a new name")
	cmd.Flags().StringVarP(&memo, "memo", "m", "", "a new memo")
	return cmd
}

func (a *app) datasetDownloadCmd() *cobra.Command {
	var dest string
	var types []string
	cmd := &cobra.Command{
		Use:   "download-files ID",
		Short: "Download a dataset's files as <dir>/<type>/<data id>/<file>",
		Example: `  kqi dataset download-files 4 -d ./ds
  kqi dataset download-files 4 -d ./ds -t training -t validation`,
		Args: exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			var ds struct {
				IsFlat      bool  `json:"isFlat"`
				FlatEntries []any `json:"flatEntries"`
				Entries     []struct {
					Type  string `json:"type"`
					Files []any  `json:"files"`
				} `json:"entries"`
			}
			if err := cl.Do(cmd.Context(), http.MethodGet, fmt.Sprintf("/datasets/%d/files", id),
				map[string][]string{"withUrl": {"true"}}, nil, &ds); err != nil {
				return err
			}
			var items []transfer.Item
			add := func(dir string, files []any) error {
				for _, f := range files {
					it, err := fileItems([]any{f}, filepath.Join(dir, cell(field(f, "id"))), nil)
					if err != nil {
						return err
					}
					items = append(items, it...)
				}
				return nil
			}
			if ds.IsFlat {
				err = add(dest, ds.FlatEntries)
			}
			for _, e := range ds.Entries {
				if err == nil && (len(types) == 0 || slices.Contains(types, e.Type)) {
					err = add(filepath.Join(dest, e.Type), e.Files)
				}
			}
			if err != nil {
				return err
			}
			return a.download(cmd.Context(), cl, items)
		}),
	}
	cmd.Flags().StringVarP(&dest, "destination", "d", "", "the directory to write the files into")
	cmd.Flags().StringArrayVarP(&types, "type", "t", nil, "only this data type: training, testing or validation (repeatable)")
	_ = cmd.MarkFlagRequired("destination")
	return cmd
}

func (a *app) pathPairsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list-path-pairs ID",
		Short: "Print the dataset's data path and stored path pairs, one a line (used inside jobs)",
		Args:  exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			v, err := a.getByID(cmd.Context(), "/datasets/%d/pathpairs", args[0])
			if err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(v)
			}
			pairs, _ := v.([]any)
			for _, p := range pairs {
				fmt.Fprintln(a.Out, cell(field(p, "dataPath")))
				fmt.Fprintln(a.Out, cell(field(p, "storedPath")))
			}
			return nil
		}),
	}
}

func (a *app) dataTypesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list-data-types",
		Short: "List the data types of datasets",
		Args:  noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			cl, err := a.client()
			if err != nil {
				return err
			}
			var types []any
			if err := cl.Do(cmd.Context(), http.MethodGet, "/datatypes", nil, nil, &types); err != nil {
				return err
			}
			return a.printList(types, cols("id", "name"))
		}),
	}
}
