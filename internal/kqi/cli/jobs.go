package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kamonohashi-go/kamonohashi/internal/kqi/client"
	"github.com/kamonohashi-go/kamonohashi/internal/kqi/transfer"
)

// jobKind is what differs between the training and inference groups.
type jobKind struct {
	name   string // the command group
	base   string // API path
	attach string // upload type of attached files
	noun   string
}

var (
	training  = jobKind{name: "training", base: "/training", attach: "TrainingHistoryAttachedFiles", noun: "training"}
	inference = jobKind{name: "inference", base: "/inferences", attach: "InferenceHistoryAttachedFiles", noun: "inference"}
)

func (a *app) jobCmd(k jobKind) *cobra.Command {
	cmd := group(k.name, "Run "+k.noun+"s, follow their logs and download their outputs")
	cmd.AddCommand(
		a.listCmd("List "+k.noun+"s", k.base,
			filters("id", "Id", "name", "Name", "started-at", "StartedAt", "started-by", "StartedBy", "data-set", "DataSet",
				"memo", "Memo", "status", "Status", "entry-point", "EntryPoint", "tag", "tag"),
			cols("id", "name", "started_at=createdAt", "dataset=dataSet.name", "memo", "status")),
		a.getCmd("Show a "+k.noun, k.base+"/%d"),
		a.jobCreateCmd(k), a.jobUpdateCmd(k),
		a.actionCmd("delete", "Delete a "+k.noun, http.MethodDelete, k.base+"/%d", "deleted"),
		a.actionCmd("halt", "Stop a running "+k.noun+" (its status becomes KQI-Killed)", http.MethodPost, k.base+"/%d/halt", "halted"),
		a.actionCmd("cancel", "Stop a "+k.noun+" as canceled by you (KQI-UserCanceled)", http.MethodPost, k.base+"/%d/user-cancel", "canceled"),
		a.actionCmd("complete", "Mark a running "+k.noun+" completed (used by finish containers)", http.MethodPost, k.base+"/%d/complete", "completed"),
		a.jobUploadFileCmd(k),
		a.filesListCmd("list-files", "List the files attached to a "+k.noun, k.base+"/%d/files"),
		a.jobDownloadFilesCmd(k),
		a.deleteFileCmd("Delete a file attached to a "+k.noun, k.base+"/%d/files/%d"),
		a.containerListCmd(k), a.containerDownloadCmd(k),
		a.logsCmd(k), a.waitCmd(k))
	return cmd
}

func (a *app) jobCreateCmd(k jobKind) *cobra.Command {
	var (
		name, image, tag, entry, owner, repo, branch, commit, partition, memo string
		registryID, dataSetID, gitID                                          int64
		cpu, memory, gpu                                                      int
		zip, unzip, localDataSet                                              bool
		tags                                                                  []string
		parents                                                               []int64
		options                                                               map[string]string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Start a new " + k.noun,
		Long: "Start a new " + k.noun + ` from code in git at a branch or commit, with a dataset
and an image. Options given with -o become environment variables of the job.`,
		Example: fmt.Sprintf(`  kqi %s create -n run1 -rim pytorch/pytorch -rt latest -d 3 -go team -gr model \
      -e "python train.py --epochs 10" -c 2 -mem 8 -g 1 -o LR 0.01 -t baseline
  kqi %s create -n run2 -rim python -rt 3.12 -d 3 -go team -gr model -gb dev -e "python train.py" -c 1 -mem 2 -g 0 -pid 1`, k.name, k.name),
		Args: noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			img := map[string]any{"image": image, "tag": tag}
			if registryID > 0 {
				img["registryId"] = registryID
			}
			git := map[string]any{"owner": owner, "repository": repo}
			if gitID > 0 {
				git["gitId"] = gitID
			}
			if branch != "" {
				git["branch"] = branch
			}
			if commit != "" {
				git["commitId"] = commit
			}
			body := map[string]any{"name": name, "containerImage": img, "dataSetId": dataSetID, "gitModel": git,
				"entryPoint": entry, "cpu": cpu, "memory": memory, "gpu": gpu, "partition": partition, "memo": memo,
				"zip": zip && !unzip, "localDataSet": localDataSet, "parentIds": parents, "tags": tags, "options": options}
			cl, err := a.client()
			if err != nil {
				return err
			}
			var out any
			if err := cl.Do(cmd.Context(), http.MethodPost, k.base+"/run", nil, body, &out); err != nil {
				return err
			}
			return a.printDone(out, "created", field(out, "id"))
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&name, "name", "n", "", "a name of the "+k.noun)
	f.Int64Var(&registryID, "registry-id", 0, "a container registry ID (default: the tenant's)")
	f.StringVar(&image, "registry-image", "", "the container image to run")
	f.StringVar(&tag, "registry-tag", "", "the image's tag")
	f.Int64VarP(&dataSetID, "data-set-id", "d", 0, "the dataset to use")
	f.StringVarP(&entry, "entry-point", "e", "", "the command to run")
	f.Int64Var(&gitID, "git-id", 0, "a git server ID (default: the tenant's)")
	f.StringVar(&owner, "git-owner", "", "the owner of the repository (first path segment of its URL)")
	f.StringVar(&repo, "git-repository", "", "the repository name (second path segment of its URL)")
	f.StringVar(&branch, "git-branch", "", "the branch (default master)")
	f.StringVar(&commit, "git-commit", "", "the commit (default: the branch's latest)")
	f.IntVarP(&cpu, "cpu", "c", 0, "CPU cores")
	f.IntVar(&memory, "memory", 0, "memory in GiB")
	f.IntVarP(&gpu, "gpu", "g", 0, "GPUs")
	f.StringVarP(&partition, "partition", "p", "", "a cluster partition")
	f.StringVarP(&memo, "memo", "m", "", "a memo")
	f.StringArrayVarP(&tags, "tags", "t", nil, "a tag (repeatable)")
	f.BoolVar(&zip, "zip", true, "zip the output when the job ends")
	f.BoolVar(&unzip, "un-zip", false, "do not zip the output")
	f.BoolVar(&localDataSet, "local-dataset", false, "copy the dataset into the job instead of linking it")
	f.Int64SliceVar(&parents, "parent-ids", nil, "a parent training ID (repeatable)")
	f.StringToStringVarP(&options, "options", "o", nil, "KEY VAL (or KEY=VAL): an environment variable of the job (repeatable)")
	_ = f.SetAnnotation("options", pairAnnotation, []string{"true"})
	for long, short := range map[string]string{"registry-id": "rid", "registry-image": "rim", "registry-tag": "rt",
		"git-id": "gid", "git-owner": "go", "git-repository": "gr", "git-branch": "gb", "git-commit": "gc",
		"memory": "mem", "un-zip": "unzip", "local-dataset": "ld", "parent-ids": "pid"} {
		longShort(f, long, short)
	}
	for _, r := range []string{"name", "registry-image", "registry-tag", "data-set-id", "entry-point", "git-owner",
		"git-repository", "cpu", "memory", "gpu"} {
		_ = cmd.MarkFlagRequired(r)
	}
	return cmd
}

func (a *app) jobUpdateCmd(k jobKind) *cobra.Command {
	var name, memo string
	var fav, unfav bool
	var tags []string
	cmd := &cobra.Command{
		Use:     "update ID",
		Short:   "Change the name, memo, favorite or tags of a " + k.noun,
		Example: fmt.Sprintf("  kqi %s update 12 -m \"best so far\" -fav", k.name),
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			cur, err := a.getByID(cmd.Context(), k.base+"/%d", args[0])
			if err != nil {
				return err
			}
			body := map[string]any{"name": field(cur, "name"), "memo": field(cur, "memo"),
				"favorite": field(cur, "favorite"), "tags": field(cur, "tags")}
			set := cmd.Flags().Changed
			for key, v := range map[string]any{"name": name, "memo": memo, "tags": tags} {
				if set(key) {
					body[key] = v
				}
			}
			if fav || unfav {
				body["favorite"] = fav
			}
			return a.put(cmd.Context(), fmt.Sprintf("%s/%s", k.base, args[0]), body, "updated")
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&name, "name", "n", "", "a new name")
	f.StringVarP(&memo, "memo", "m", "", "a new memo")
	f.BoolVar(&fav, "favorite", false, "mark as a favorite")
	f.BoolVar(&unfav, "un-favorite", false, "unmark as a favorite")
	f.StringArrayVarP(&tags, "tags", "t", nil, "the new tags (repeatable; replace the old)")
	longShort(f, "favorite", "fav")
	longShort(f, "un-favorite", "unfav")
	cmd.MarkFlagsMutuallyExclusive("favorite", "un-favorite")
	return cmd
}

func (a *app) jobUploadFileCmd(k jobKind) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:     "upload-file ID",
		Short:   "Attach a file to a " + k.noun,
		Example: fmt.Sprintf("  kqi %s upload-file 12 -f report.pdf", k.name),
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			var out any
			err = a.uploadThen(cmd.Context(), cl, k.attach, []string{file}, 1, false,
				func(ctx context.Context, _ *transfer.Uploader, fs []transfer.Stored, _ []transfer.File) error {
					return cl.Do(ctx, http.MethodPost, fmt.Sprintf("%s/%d/files", k.base, id), nil, fs[0], &out)
				})
			if err != nil {
				return err
			}
			return a.printDone(out, "attached", field(out, "fileId"))
		}),
	}
	cmd.Flags().StringVarP(&file, "file-path", "f", "", "the file to attach")
	_ = cmd.MarkFlagRequired("file-path")
	return cmd
}

func (a *app) jobDownloadFilesCmd(k jobKind) *cobra.Command {
	var dest string
	var ids []int64
	cmd := &cobra.Command{
		Use:     "download-files ID",
		Short:   "Download the files attached to a " + k.noun,
		Example: fmt.Sprintf("  kqi %s download-files 12 -d out/ -f 3", k.name),
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			files, cl, err := a.files(cmd.Context(), k.base+"/%d/files", args[0])
			if err != nil {
				return err
			}
			items, err := fileItems(files, dest, func(f any) bool {
				id, _ := field(f, "fileId").(float64)
				return len(ids) == 0 || containsID(ids, int64(id))
			})
			if err != nil {
				return err
			}
			return a.download(cmd.Context(), cl, items)
		}),
	}
	cmd.Flags().StringVarP(&dest, "destination", "d", "", "the directory to write the files into")
	cmd.Flags().Int64SliceVarP(&ids, "file-id", "f", nil, "only this file ID (repeatable)")
	_ = cmd.MarkFlagRequired("destination")
	return cmd
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// listing is one directory of a job's output.
type listing struct {
	Dirs []struct {
		DirName string `json:"dirName"`
		DirPath string `json:"dirPath"`
	} `json:"dirs"`
	Files []struct {
		Key          string  `json:"key"`
		FileName     string  `json:"fileName"`
		Size         float64 `json:"size"`
		LastModified string  `json:"lastModified"`
		URL          string  `json:"url"`
	} `json:"files"`
	Exceeded bool `json:"exceeded"`
}

func containerFiles(ctx context.Context, cl *client.Client, k jobKind, id int64, dir string, withURL bool) (listing, error) {
	q := url.Values{"path": {strings.Trim(dir, "/")}, "withUrl": {fmt.Sprint(withURL)}}
	var l listing
	err := cl.Do(ctx, http.MethodGet, fmt.Sprintf("%s/%d/container-files", k.base, id), q, nil, &l)
	return l, err
}

func (a *app) containerListCmd(k jobKind) *cobra.Command {
	var source string
	cmd := &cobra.Command{
		Use:     "list-container-files ID",
		Short:   "List a directory of the " + k.noun + "'s output (/kqi/output), also while it runs",
		Example: fmt.Sprintf("  kqi %s list-container-files 12 -s checkpoints/", k.name),
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			l, err := containerFiles(cmd.Context(), cl, k, id, source, false)
			if err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(l)
			}
			var rows []any
			for _, d := range l.Dirs {
				rows = append(rows, map[string]any{"type": "dir", "path": d.DirPath})
			}
			for _, f := range l.Files {
				rows = append(rows, map[string]any{"type": "file", "path": f.Key, "size": f.Size, "modified": f.LastModified})
			}
			return a.printList(rows, cols("type", "path", "size", "modified"))
		}),
	}
	cmd.Flags().StringVarP(&source, "source", "s", "", "a directory under the output (default: its root)")
	return cmd
}

func (a *app) containerDownloadCmd(k jobKind) *cobra.Command {
	var dest, source string
	var only []string
	cmd := &cobra.Command{
		Use:   "download-container-files ID",
		Short: "Download the " + k.noun + "'s output (/kqi/output), or a directory of it",
		Example: fmt.Sprintf(`  kqi %s download-container-files 12 -d out/
  kqi %s download-container-files 12 -d out/ -s checkpoints -f checkpoints/best.pt`, k.name, k.name),
		Args: exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			root := strings.Trim(source, "/")
			var items []transfer.Item
			todo := []string{root}
			for len(todo) > 0 {
				dir := todo[0]
				todo = todo[1:]
				l, err := containerFiles(cmd.Context(), cl, k, id, dir, true)
				if err != nil {
					return err
				}
				if l.Exceeded {
					fmt.Fprintf(a.Err, "kqi: %s has more entries than the server lists; some are left out\n", "/"+dir)
				}
				for _, d := range l.Dirs {
					todo = append(todo, strings.Trim(d.DirPath, "/"))
				}
				for _, f := range l.Files {
					if len(only) > 0 && !containsPath(only, f.Key) {
						continue
					}
					rel := strings.TrimPrefix(strings.TrimPrefix(f.Key, root), "/")
					dst, err := localPath(dest, rel)
					if err != nil {
						return err
					}
					items = append(items, transfer.Item{URL: f.URL, Dest: dst, Size: int64(f.Size)})
				}
			}
			return a.download(cmd.Context(), cl, items)
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&dest, "destination", "d", "", "the directory to write the files into")
	f.StringVarP(&source, "source", "s", "", "a directory under the output (default: its root)")
	f.StringArrayVarP(&only, "file", "f", nil, "only this file, as a path under the output (repeatable)")
	_ = cmd.MarkFlagRequired("destination")
	return cmd
}

func containsPath(paths []string, p string) bool {
	for _, x := range paths {
		if path.Clean(strings.TrimPrefix(x, "/")) == p {
			return true
		}
	}
	return false
}

func (a *app) logsCmd(k jobKind) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Print the " + k.noun + "'s output; with -f, follow it live until the job ends",
		Example: fmt.Sprintf(`  kqi %s logs 12
  kqi %s logs -f 12 | tee train.log`, k.name, k.name),
		Args: exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			if !follow {
				rc, err := cl.Open(cmd.Context(), fmt.Sprintf("%s/%d/log", k.base, id), nil)
				if err != nil {
					return err
				}
				defer rc.Close()
				_, err = io.Copy(a.Out, rc)
				return err
			}
			return a.follow(cmd.Context(), cl, k, id)
		}),
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "follow the log until the job ends")
	return cmd
}

// follow prints the live log. The stream starts from the beginning each
// time, so after a lost connection the part already printed is skipped.
func (a *app) follow(ctx context.Context, cl *client.Client, k jobKind, id int64) error {
	var printed int64
	for attempt := 0; ; attempt++ {
		var seen int64
		ended := false
		err := cl.Events(ctx, fmt.Sprintf("%s/%d/log/stream", k.base, id), nil, func(e client.Event) error {
			switch e.Name {
			case "log":
				var s string
				if err := json.Unmarshal([]byte(e.Data), &s); err != nil {
					return fmt.Errorf("read the log stream: %w", err)
				}
				b := []byte(s)
				if skip := min(max(printed-seen, 0), int64(len(b))); skip > 0 {
					b = b[skip:]
				}
				seen += int64(len(s))
				if _, err := a.Out.Write(b); err != nil {
					return err
				}
				printed = max(printed, seen)
			case "end":
				ended = true
			}
			return nil
		})
		var ne *client.NetworkError
		switch {
		case ended:
			return nil
		case err != nil && !errors.As(err, &ne):
			return err
		case attempt >= 30:
			return fmt.Errorf("the log stream keeps breaking: %w", err)
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
}

func (a *app) waitCmd(k jobKind) *cobra.Command {
	return &cobra.Command{
		Use:   "wait ID",
		Short: "Wait until the " + k.noun + " ends; the exit code tells how it ended",
		Long: "Wait until the " + k.noun + ` ends and print its status. The exit code is 0 when it
completed, 10 when it failed (its command exited non-zero, or it could not
start), 11 when it was halted or killed by its memory limit, and 12 when a
user canceled it.`,
		Example: fmt.Sprintf(`  kqi %s wait 12 && kqi %s download-container-files 12 -d out/`, k.name, k.name),
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			j, err := waitJob(cmd.Context(), cl, k, id)
			if err != nil {
				return err
			}
			if a.json() {
				err = a.printJSON(j)
			} else {
				_, err = fmt.Fprintln(a.Out, cell(j["status"]))
			}
			if err != nil {
				return err
			}
			return outcome(j)
		}),
	}
}

// waitJob blocks on the live log, which ends with the job, and reads the
// status; while the job waits to start (no log yet) it reads the status
// again at growing intervals, up to 2 s.
func waitJob(ctx context.Context, cl *client.Client, k jobKind, id int64) (map[string]any, error) {
	pause := 100 * time.Millisecond
	for {
		var j map[string]any
		if err := cl.Do(ctx, http.MethodGet, fmt.Sprintf("%s/%d", k.base, id), nil, nil, &j); err != nil {
			return nil, err
		}
		if t := cell(j["statusType"]); t == "Closed" || t == "Failed" {
			return j, nil
		}
		start := time.Now()
		err := cl.Events(ctx, fmt.Sprintf("%s/%d/log/stream", k.base, id), nil, func(client.Event) error { return nil })
		var ne *client.NetworkError
		if err != nil && !errors.As(err, &ne) {
			return nil, err
		}
		if time.Since(start) > 5*time.Second {
			pause = 100 * time.Millisecond
		}
		if err := sleep(ctx, pause); err != nil {
			return nil, err
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// outcome is the error (and exit code) of a job's final status. The
// server calls a command's non-zero exit "Killed", as the original; for
// scripts that is a failure, told apart from a halt by its exit code.
func outcome(j map[string]any) error {
	status := strings.TrimPrefix(cell(j["status"]), "KQI-")
	code := ExitJobFailed
	switch status {
	case "Completed":
		return nil
	case "Killed":
		if ec, ok := j["exitCode"].(float64); !ok || ec == 0 {
			code = ExitJobKilled
		}
	case "OOMKilled":
		code = ExitJobKilled
	case "UserCanceled":
		code = ExitJobCanceled
	}
	return &jobOutcome{status: cell(j["status"]), note: cell(j["conditionNote"]), code: code}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
