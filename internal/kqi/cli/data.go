package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/kamonohashi-go/kamonohashi/internal/kqi/client"
	"github.com/kamonohashi-go/kamonohashi/internal/kqi/transfer"
)

func (a *app) dataCmd() *cobra.Command {
	cmd := group("data", "Upload, list and download data")
	cmd.AddCommand(
		a.listCmd("List data", "/data",
			filters("id", "Id", "name", "Name", "memo", "Memo", "created-at", "CreatedAt", "created-by", "CreatedBy", "tag", "tag"),
			cols("id", "name", "created_at=createdAt", "created_by=createdBy", "memo", "tags")),
		a.getCmd("Show a data", "/data/%d"),
		a.dataCreateCmd(), a.dataUpdateCmd(),
		a.actionCmd("delete", "Delete a data and its files", http.MethodDelete, "/data/%d", "deleted"),
		a.filesListCmd("list-files", "List the files of a data", "/data/%d/files"),
		a.dataDownloadCmd(), a.dataUploadFilesCmd(),
		a.deleteFileCmd("Delete a file of a data", "/data/%d/files/%d"))
	return cmd
}

func (a *app) dataCreateCmd() *cobra.Command {
	var name, memo string
	var files, tags []string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Upload files and directories as a new data",
		Long: `Upload files and directories as a new data. A directory's files keep their
paths under the directory's name (images/cat/1.png), as the console's folder
upload. Files are sent --parallel at a time, large ones in parts; the data is
registered only once every file is uploaded: small files travel as one tar
stream that the server stores all or nothing, larger ones in parts first. An interrupted upload (Ctrl-C, a
lost network) continues when the same command is run again within 20 hours.`,
		Example: `  kqi data create -n mnist -f train.csv -f test.csv
  kqi data create -n images -f images/ -m "10,000 PNGs" -t raw -t 2026`,
		Args: noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			cl, err := a.client()
			if err != nil {
				return err
			}
			var id int64
			err = a.uploadThen(cmd.Context(), cl, "Data", files, maxFiles, true,
				func(ctx context.Context, up *transfer.Uploader, large []transfer.Stored, small []transfer.File) error {
					var err error
					id, err = createData(ctx, cl, up, name, memo, tags, small)
					if err != nil || len(large) == 0 {
						return err
					}
					if err := addDataFiles(ctx, cl, id, large); err != nil {
						return errors.Join(err, undo(ctx, func(ctx context.Context) error {
							return cl.Heavy().Do(ctx, http.MethodDelete, fmt.Sprintf("/data/%d", id), nil, nil, nil)
						}))
					}
					return nil
				})
			if err != nil {
				return err
			}
			created, err := a.getByID(cmd.Context(), "/data/%d", fmt.Sprint(id))
			if err != nil {
				return err
			}
			return a.printDone(created, "created", id)
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&name, "name", "n", "", "a name of the data")
	f.StringArrayVarP(&files, "file", "f", nil, "a file or directory to upload (repeatable)")
	f.StringVarP(&memo, "memo", "m", "", "free text that explains the data")
	f.StringArrayVarP(&tags, "tags", "t", nil, "a tag of the data (repeatable)")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// createData creates a data: with its small files in one tar stream,
// which the server stores all or nothing, or empty when there are none.
func createData(ctx context.Context, cl *client.Client, up *transfer.Uploader, name, memo string, tags []string,
	small []transfer.File) (int64, error) {
	var out struct {
		ID int64 `json:"id"`
	}
	if len(small) == 0 {
		err := cl.Do(ctx, http.MethodPost, "/data", nil, map[string]any{"name": name, "memo": memo, "tags": tags}, &out)
		return out.ID, err
	}
	q := url.Values{"name": {name}, "memo": {memo}, "tag": tags}
	_, err := up.Archive(ctx, "/data/archive", q, small, &out)
	return out.ID, err
}

func addDataFiles(ctx context.Context, cl *client.Client, id int64, fs []transfer.Stored) error {
	return cl.Heavy().Do(ctx, http.MethodPost, fmt.Sprintf("/data/%d/files", id), nil, map[string]any{"files": fs}, nil)
}

func (a *app) dataUploadFilesCmd() *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:     "upload-files ID",
		Short:   "Upload files and directories into an existing data",
		Example: "  kqi data upload-files 12 -f extra.csv -f more-images/",
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			err = a.uploadThen(cmd.Context(), cl, "Data", files, maxFiles, false,
				func(ctx context.Context, _ *transfer.Uploader, fs []transfer.Stored, _ []transfer.File) error {
					return addDataFiles(ctx, cl, id, fs)
				})
			if err != nil {
				return err
			}
			return a.printDone(map[string]any{"id": id}, "uploaded to", id)
		}),
	}
	cmd.Flags().StringArrayVarP(&files, "file", "f", nil, "a file or directory to upload (repeatable)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func (a *app) dataUpdateCmd() *cobra.Command {
	var name, memo string
	var tags []string
	cmd := &cobra.Command{
		Use:     "update ID",
		Short:   "Change the name, memo or tags of a data",
		Example: `  kqi data update 12 -m "cleaned" -t v2`,
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			cur, err := a.getByID(cmd.Context(), "/data/%d", args[0])
			if err != nil {
				return err
			}
			body := map[string]any{"name": field(cur, "name"), "memo": field(cur, "memo"), "tags": field(cur, "tags")}
			if cmd.Flags().Changed("name") {
				body["name"] = name
			}
			if cmd.Flags().Changed("memo") {
				body["memo"] = memo
			}
			if cmd.Flags().Changed("tags") {
				body["tags"] = tags
			}
			return a.put(cmd.Context(), "/data/"+args[0], body, "updated")
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&name, "name", "n", "", "a new name")
	f.StringVarP(&memo, "memo", "m", "", "a new memo")
	f.StringArrayVarP(&tags, "tags", "t", nil, "the new tags (repeatable; replace the old)")
	return cmd
}

// put sends body to path and prints what changed.
func (a *app) put(ctx context.Context, path string, body any, verb string) error {
	cl, err := a.client()
	if err != nil {
		return err
	}
	var out any
	if err := cl.Do(ctx, http.MethodPut, path, nil, body, &out); err != nil {
		return err
	}
	return a.printDone(out, verb, field(out, "id"))
}

// filesListCmd lists the files of an object (data, attached files).
func (a *app) filesListCmd(use, short, pathFmt string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " ID",
		Short: short,
		Args:  exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			files, _, err := a.files(cmd.Context(), pathFmt, args[0])
			if err != nil {
				return err
			}
			return a.printList(files, cols("file_id=fileId", "file_name=fileName", "size=fileSize"))
		}),
	}
}

// files reads a file list with signed URLs.
func (a *app) files(ctx context.Context, pathFmt, arg string) ([]any, *client.Client, error) {
	id, err := idArg([]string{arg}, 0)
	if err != nil {
		return nil, nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, nil, err
	}
	var files []any
	err = cl.Do(ctx, http.MethodGet, fmt.Sprintf(pathFmt, id), map[string][]string{"withUrl": {"true"}}, nil, &files)
	return files, cl, err
}

func (a *app) dataDownloadCmd() *cobra.Command {
	var dest string
	cmd := &cobra.Command{
		Use:     "download-files ID",
		Short:   "Download the files of a data into a directory",
		Example: "  kqi data download-files 12 -d ./mnist",
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			files, cl, err := a.files(cmd.Context(), "/data/%d/files", args[0])
			if err != nil {
				return err
			}
			items, err := fileItems(files, dest, nil)
			if err != nil {
				return err
			}
			return a.download(cmd.Context(), cl, items)
		}),
	}
	cmd.Flags().StringVarP(&dest, "destination", "d", "", "the directory to write the files into")
	_ = cmd.MarkFlagRequired("destination")
	return cmd
}

// deleteFileCmd deletes one file (-f FILE_ID) of an object.
func (a *app) deleteFileCmd(short, pathFmt string) *cobra.Command {
	var fileID int64
	cmd := &cobra.Command{
		Use:   "delete-file ID",
		Short: short,
		Args:  exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, cl, err := a.idClient(args)
			if err != nil {
				return err
			}
			if err := cl.Do(cmd.Context(), http.MethodDelete, fmt.Sprintf(pathFmt, id, fileID), nil, nil, nil); err != nil {
				return err
			}
			return a.printDone(map[string]any{"id": id, "fileId": fileID}, "deleted", fileID)
		}),
	}
	cmd.Flags().Int64VarP(&fileID, "file-id", "f", 0, "the ID of the file to delete")
	_ = cmd.MarkFlagRequired("file-id")
	return cmd
}
