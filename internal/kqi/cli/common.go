package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/kamonohashi-go/kamonohashi/internal/kqi/client"
	"github.com/kamonohashi-go/kamonohashi/internal/kqi/transfer"
)

// maxFiles is the server's limit of files in one data.
const maxFiles = 10000

// filter is a list option sent as a query parameter of the same meaning.
type filter struct{ flag, query string }

func filters(spec ...string) []filter {
	out := make([]filter, 0, len(spec)/2)
	for i := 0; i+1 < len(spec); i += 2 {
		out = append(out, filter{spec[i], spec[i+1]})
	}
	return out
}

// listCmd is a `list` command: filters, --count over pages, a table.
func (a *app) listCmd(short, path string, fs []filter, columns []column) *cobra.Command {
	values := make([]string, len(fs))
	var tags []string
	count := 1000
	cmd := &cobra.Command{
		Use:   "list",
		Short: short,
		Long: short + `. Filters take the server's mini-language: a substring, "!" to
negate, ">=" and "<=" on numbers and dates.`,
		Args: noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			if count < 1 || count > 10000 {
				return usageError{fmt.Errorf("--count %d: give 1 to 10000", count)}
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			for i, f := range fs {
				if values[i] != "" {
					q.Set(f.query, values[i])
				}
			}
			for _, t := range tags {
				q.Add("tag", t)
			}
			items, err := listPages(cmd.Context(), cl, path, q, count)
			if err != nil {
				return err
			}
			return a.printList(items, columns)
		}),
	}
	cmd.Flags().IntVar(&count, "count", count, "most items to list (1-10000)")
	for i, f := range fs {
		if f.flag == "tag" {
			cmd.Flags().StringArrayVar(&tags, "tag", nil, "a tag (repeatable)")
			continue
		}
		cmd.Flags().StringVar(&values[i], f.flag, "", "filter by "+f.flag)
	}
	return cmd
}

// listPages reads up to count items, 1000 a page.
func listPages(ctx context.Context, cl *client.Client, path string, q url.Values, count int) ([]any, error) {
	per := min(count, 1000)
	var out []any
	for page := 1; len(out) < count; page++ {
		q.Set("page", strconv.Itoa(page))
		q.Set("perPage", strconv.Itoa(per))
		var items []any
		if err := cl.Do(ctx, http.MethodGet, path, q, nil, &items); err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < per {
			break
		}
	}
	return out[:min(len(out), count)], nil
}

// getCmd shows one object, or saves it as JSON with -d (the original's).
func (a *app) getCmd(short, pathFmt string) *cobra.Command {
	var dest string
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: short,
		Args:  exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			v, err := a.getByID(cmd.Context(), pathFmt, args[0])
			if err != nil {
				return err
			}
			if dest != "" {
				return writeJSONFile(a.Out, dest, v)
			}
			return a.printObject(v)
		}),
	}
	cmd.Flags().StringVarP(&dest, "destination", "d", "", "save the answer as a JSON file")
	return cmd
}

// getByID GETs pathFmt with the ID argument arg.
func (a *app) getByID(ctx context.Context, pathFmt, arg string) (any, error) {
	id, err := idArg([]string{arg}, 0)
	if err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	var v any
	return v, cl.Do(ctx, http.MethodGet, fmt.Sprintf(pathFmt, id), nil, nil, &v)
}

// actionCmd is a command on one ID without a body: delete, halt, complete…
func (a *app) actionCmd(use, short, method, pathFmt, verb string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " ID",
		Short: short,
		Args:  exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			var out any
			if err := cl.Heavy().Do(cmd.Context(), method, fmt.Sprintf(pathFmt, id), nil, nil, &out); err != nil {
				return err
			}
			return a.printDone(out, verb, id)
		}),
	}
}

// uploadThen uploads the files and directories of paths as type typ and
// registers them with register; the journal of the upload is kept until
// the registration succeeds, so a failed or interrupted run resumes. With
// tarSmall, files below the part size are not uploaded here but given to
// register, to send as one tar stream.
func (a *app) uploadThen(ctx context.Context, cl *client.Client, typ string, paths []string, limit int, tarSmall bool,
	register func(ctx context.Context, up *transfer.Uploader, large []transfer.Stored, small []transfer.File) error) error {
	files, err := transfer.Scan(paths)
	if err != nil {
		return err
	}
	if len(files) > limit {
		return fmt.Errorf("%d files is more than the %d allowed", len(files), limit)
	}
	up := a.uploader(cl, typ)
	var small []transfer.File
	if tarSmall {
		small, files = up.Split(files)
	}
	b, err := up.Upload(ctx, files)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := register(ctx, up, b.Files, small); err != nil {
		return err
	}
	b.Forget()
	st := b.Stats
	for _, f := range small {
		st.Files++
		st.Bytes += f.Size
	}
	st.Elapsed += time.Since(start)
	msg := fmt.Sprint("uploaded ", st)
	if b.Resumed > 0 {
		msg += fmt.Sprintf(", %d files from an earlier run", b.Resumed)
	}
	fmt.Fprintln(a.Err, msg)
	return nil
}

// undo runs a clean-up that must happen even after Ctrl-C.
func undo(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return fn(ctx)
}

// localPath is where a stored file name lands under dir; names that would
// leave dir are refused.
func localPath(dir, name string) (string, error) {
	rel := filepath.FromSlash(name)
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("the server sent a file name %q that would leave %s", name, dir)
	}
	return filepath.Join(dir, rel), nil
}

// fileItems turns the server's file lists (fileName, fileSize, url) into
// downloads under dir.
func fileItems(files []any, dir string, keep func(any) bool) ([]transfer.Item, error) {
	var items []transfer.Item
	for _, f := range files {
		if keep != nil && !keep(f) {
			continue
		}
		dest, err := localPath(dir, cell(field(f, "fileName")))
		if err != nil {
			return nil, err
		}
		size, _ := field(f, "fileSize").(float64)
		items = append(items, transfer.Item{URL: cell(field(f, "url")), Dest: dest, Size: int64(size)})
	}
	return items, nil
}
