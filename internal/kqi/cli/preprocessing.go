package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kamonohashi-go/kamonohashi/internal/kqi/transfer"
)

const preprocessingJSONHelp = `The file holds {"name": …, "entryPoint": …, "containerImage": {"registryId": …,
"image": …, "tag": …}, "gitModel": {"gitId": …, "owner": …, "repository": …, "branch": …,
"commitId": …}, "memo": …, "cpu": …, "memory": …, "gpu": …}.`

func (a *app) preprocessingCmd() *cobra.Command {
	cmd := group("preprocessing", "Define preprocessing and run it on data")
	meta := a.metaCmd("Change the name, memo or resources of a preprocessing", "/preprocessings/%d",
		func(cmd *cobra.Command, body map[string]any) {
			for _, k := range []string{"cpu", "memory", "gpu"} {
				if cmd.Flags().Changed(k) {
					v, _ := cmd.Flags().GetInt(k)
					body[k] = v
				}
			}
		})
	meta.Flags().IntP("cpu", "c", 0, "CPU cores")
	meta.Flags().Int("memory", 0, "memory in GiB")
	meta.Flags().IntP("gpu", "g", 0, "GPUs")
	longShort(meta.Flags(), "memory", "mem")
	cmd.AddCommand(
		a.listCmd("List preprocessings", "/preprocessings",
			filters("id", "Id", "name", "Name", "created-at", "CreatedAt", "memo", "Memo"),
			cols("id", "name", "created_at=createdAt", "memo")),
		a.getCmd("Show a preprocessing", "/preprocessings/%d"),
		a.jsonBodyCmd("create", "Create a preprocessing from a JSON file", http.MethodPost, "/preprocessings", "created", preprocessingJSONHelp),
		a.jsonBodyCmd("update", "Replace a preprocessing from a JSON file", http.MethodPut, "/preprocessings/%s", "updated", preprocessingJSONHelp),
		meta,
		a.actionCmd("delete", "Delete a preprocessing", http.MethodDelete, "/preprocessings/%d", "deleted"),
		a.historiesCmd(), a.preprocessingRunCmd(),
		a.historyCmd("delete-history", "Delete the run of a preprocessing on a data", http.MethodDelete, "", "deleted"),
		a.historyCmd("halt-history", "Stop the run of a preprocessing on a data", http.MethodPost, "/halt", "halted"),
		a.buildHistoryCmd("build-history", true), a.buildHistoryCmd("build-history-files", false))
	return cmd
}

func (a *app) historiesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list-histories ID",
		Short: "List the runs of a preprocessing",
		Args:  exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			v, err := a.getByID(cmd.Context(), "/preprocessings/%d/histories", args[0])
			if err != nil {
				return err
			}
			items, _ := v.([]any)
			return a.printList(items, cols("data_id=dataId", "data_name=dataName", "created_at=createdAt", "status", "output_data=outputDataIds"))
		}),
	}
}

// historyCmd acts on the run of preprocessing ID on data -did.
func (a *app) historyCmd(use, short, method, suffix, verb string) *cobra.Command {
	var dataID int64
	cmd := &cobra.Command{
		Use:   use + " ID",
		Short: short,
		Args:  exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			var out any
			if err := cl.Do(cmd.Context(), method, fmt.Sprintf("/preprocessings/%d/histories/%d%s", id, dataID, suffix), nil, nil, &out); err != nil {
				return err
			}
			return a.printDone(out, verb, fmt.Sprintf("%d.%d", id, dataID))
		}),
	}
	dataIDFlag(cmd, &dataID)
	return cmd
}

func dataIDFlag(cmd *cobra.Command, v *int64) {
	cmd.Flags().Int64Var(v, "data-id", 0, "the source data ID")
	longShort(cmd.Flags(), "data-id", "did")
	_ = cmd.MarkFlagRequired("data-id")
}

func (a *app) preprocessingRunCmd() *cobra.Command {
	var dataIDs []int64
	var cpu, memory, gpu int
	var partition string
	var options map[string]string
	cmd := &cobra.Command{
		Use:     "run ID",
		Short:   "Run a preprocessing on data, one run per data",
		Example: "  kqi preprocessing run 2 -did 10 -did 11 -c 1 -mem 2 -g 0 -o SIZE 224",
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			var runs []any
			for _, d := range dataIDs {
				var out any
				body := map[string]any{"dataId": d, "cpu": cpu, "memory": memory, "gpu": gpu, "partition": partition, "options": options}
				if err := cl.Do(cmd.Context(), http.MethodPost, fmt.Sprintf("/preprocessings/%d/run", id), nil, body, &out); err != nil {
					return err
				}
				runs = append(runs, out)
				if !a.json() {
					fmt.Fprintf(a.Out, "started %d.%d\n", id, d)
				}
			}
			if a.json() {
				return a.printJSON(runs)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.Int64SliceVar(&dataIDs, "data-id", nil, "a source data ID (repeatable)")
	longShort(f, "data-id", "did")
	f.IntVarP(&cpu, "cpu", "c", 0, "CPU cores")
	f.IntVar(&memory, "memory", 0, "memory in GiB")
	longShort(f, "memory", "mem")
	f.IntVarP(&gpu, "gpu", "g", 0, "GPUs")
	f.StringVarP(&partition, "partition", "p", "", "a cluster partition")
	f.StringToStringVarP(&options, "options", "o", nil, "KEY VAL (or KEY=VAL): an environment variable of the job (repeatable)")
	_ = f.SetAnnotation("options", pairAnnotation, []string{"true"})
	for _, r := range []string{"data-id", "cpu", "memory", "gpu"} {
		_ = cmd.MarkFlagRequired(r)
	}
	return cmd
}

// buildHistoryCmd uploads each sub-directory of -s as a new data of the
// run (an external preprocessing), then completes the run; fresh also
// creates the run first.
func (a *app) buildHistoryCmd(use string, fresh bool) *cobra.Command {
	var dataID int64
	var source, memo string
	var tags []string
	short := "Record an external run: upload each sub-directory of -s as a data, then complete"
	if !fresh {
		short = "Upload each sub-directory of -s as a data of an existing run, then complete it"
	}
	cmd := &cobra.Command{
		Use:     use + " ID",
		Short:   short,
		Example: fmt.Sprintf("  kqi preprocessing %s 2 -did 10 -s ./processed -t v1", use),
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, err := idArg(args, 0)
			if err != nil {
				return err
			}
			ents, err := os.ReadDir(source)
			if err != nil {
				return fmt.Errorf("read %s: %w", source, err)
			}
			var dirs []string
			for _, e := range ents {
				if e.IsDir() {
					dirs = append(dirs, filepath.Join(source, e.Name()))
				}
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			base := fmt.Sprintf("/preprocessings/%d/histories/%d", id, dataID)
			if fresh {
				if err := cl.Do(cmd.Context(), http.MethodPost, base, nil, nil, nil); err != nil {
					return err
				}
			}
			err = a.uploadThen(cmd.Context(), cl, "Data", dirs, maxFiles*len(dirs), false,
				func(ctx context.Context, _ *transfer.Uploader, fs []transfer.Stored, _ []transfer.File) error {
					byDir := map[string][]transfer.Stored{}
					var order []string
					for _, f := range fs {
						dir, rest, _ := strings.Cut(f.FileName, "/")
						if byDir[dir] == nil {
							order = append(order, dir)
						}
						byDir[dir] = append(byDir[dir], transfer.Stored{FileName: rest, StoredPath: f.StoredPath})
					}
					for _, dir := range order {
						body := map[string]any{"name": dir, "memo": memo, "tags": tags, "files": byDir[dir]}
						if err := cl.Heavy().Do(ctx, http.MethodPost, base+"/data", nil, body, nil); err != nil {
							return err
						}
					}
					return nil
				})
			if err != nil {
				return err
			}
			var out any
			if err := cl.Do(cmd.Context(), http.MethodPost, base+"/complete", nil, nil, &out); err != nil {
				return err
			}
			return a.printDone(out, "built", fmt.Sprintf("%d.%d", id, dataID))
		}),
	}
	dataIDFlag(cmd, &dataID)
	cmd.Flags().StringVarP(&source, "source", "s", "", "the directory whose sub-directories become data")
	cmd.Flags().StringVarP(&memo, "memo", "m", "", "a memo of the new data")
	cmd.Flags().StringArrayVarP(&tags, "tags", "t", nil, "a tag of the new data (repeatable)")
	_ = cmd.MarkFlagRequired("source")
	return cmd
}
