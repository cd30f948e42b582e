package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/job"
)

// jobFileRoutes serve a job's attached files, its output and its log.
func (s *Server) jobFileRoutes(a jobArea) []*Route {
	withID := func(r *http.Request) (int64, error) { return pathID(r, "id") }
	return []*Route{
		endpoint("GET", a.base+"/{id}/files", func(r *http.Request) ([]job.AttachedFileView, error) {
			id, err := withID(r)
			if err != nil {
				return nil, err
			}
			withURL, err := queryBool(r, "withUrl")
			if err != nil {
				return nil, err
			}
			return s.jobs.Files(r.Context(), a.kind, id, s.baseURL(r), withURL)
		}).Perm(a.menus...).Q(Param{"withUrl", "boolean", "add a signed download URL to each file"}).
			Doc(a.tag, "Attached files: the users' and the job's own (its log, the output zip)"),

		bodyEndpoint("POST", a.base+"/{id}/files", func(r *http.Request, in job.AttachInput) (job.AttachedFileView, error) {
			id, err := withID(r)
			if err != nil {
				return job.AttachedFileView{}, err
			}
			return s.jobs.Attach(r.Context(), a.kind, id, in)
		}).Perm(a.menus...).Code(http.StatusCreated).Doc(a.tag, "Attach an uploaded file (409 when the name is taken)"),

		endpoint("DELETE", a.base+"/{id}/files/{fileId}", func(r *http.Request) (NoContent, error) {
			id, err := withID(r)
			if err != nil {
				return NoContent{}, err
			}
			fid, err := pathID(r, "fileId")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.jobs.DeleteFile(r.Context(), a.kind, id, fid)
		}).Perm(a.menus...).Doc(a.tag, "Delete a file a user attached"),

		endpoint("GET", a.base+"/{id}/files/{name}/size", func(r *http.Request) (int64, error) {
			id, err := withID(r)
			if err != nil {
				return 0, err
			}
			return s.jobs.FileSize(r.Context(), a.kind, id, r.PathValue("name"))
		}).Perm(a.menus...).Doc(a.tag, "Size in bytes of an attached file"),

		endpoint("GET", a.base+"/{id}/container-files", func(r *http.Request) (job.Listing, error) {
			id, err := withID(r)
			if err != nil {
				return job.Listing{}, err
			}
			withURL, err := queryBool(r, "withUrl")
			if err != nil {
				return job.Listing{}, err
			}
			return s.jobs.ContainerFiles(r.Context(), a.kind, id, s.baseURL(r), query(r, "path"), withURL)
		}).Perm(a.menus...).Q(Param{"path", "string", "a directory under the output, e.g. checkpoints/"},
			Param{"withUrl", "boolean", "add a signed download URL to each file"}).
			Doc(a.tag, "One directory of the job's output (/kqi/output), also while it runs"),

		newRoute[Raw]("GET", a.base+"/{id}/log", func(w http.ResponseWriter, r *http.Request) error {
			id, err := withID(r)
			if err != nil {
				return err
			}
			return writeText(w)(s.jobs.Logs(r.Context(), a.kind, id, false))
		}).Perm(a.menus...).Produces("text/plain").Doc(a.tag, "The job's stdout and stderr so far (new)"),

		newRoute[Raw]("GET", a.base+"/{id}/log/stream", func(w http.ResponseWriter, r *http.Request) error {
			id, err := withID(r)
			if err != nil {
				return err
			}
			return s.streamLog(w, r, a.kind, id)
		}).Perm(a.menus...).Produces("text/event-stream").
			Doc(a.tag, "The job's output as Server-Sent Events (new): 'log' events carry JSON strings of output "+
				"as it is written, from the start; an 'end' event carries the final status"),
	}
}

// heartbeat keeps idle event streams open through proxies.
const heartbeat = 15 * time.Second

// streamLog sends the log as it is written: the runner pushes output to
// the follower, never polled from a file.
func (s *Server) streamLog(w http.ResponseWriter, r *http.Request, kind job.Kind, id int64) error {
	ctx := r.Context()
	rc, err := s.jobs.Logs(ctx, kind, id, true)
	if err != nil {
		return err
	}
	defer rc.Close()
	rcon := http.NewResponseController(w)
	_ = rcon.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rcon.Flush()

	chunks := make(chan []byte)
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := rc.Read(buf)
			if n > 0 {
				select {
				case chunks <- append([]byte(nil), buf[:n]...):
				case <-ctx.Done():
					done <- ctx.Err()
					return
				}
			}
			if err != nil {
				done <- err
				return
			}
		}
	}()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case b := <-chunks:
			data, _ := json.Marshal(string(b))
			if _, err := fmt.Fprintf(w, "event: log\ndata: %s\n\n", data); err != nil {
				return nil
			}
			_ = rcon.Flush()
		case <-tick.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			_ = rcon.Flush()
		case err := <-done:
			if err != nil && !errors.Is(err, io.EOF) {
				return nil
			}
			d, gerr := s.jobs.Get(ctx, kind, id)
			if gerr == nil {
				end, _ := json.Marshal(map[string]string{"status": d.Status, "statusType": d.StatusType, "conditionNote": d.ConditionNote})
				fmt.Fprintf(w, "event: end\ndata: %s\n\n", end)
				_ = rcon.Flush()
			}
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}
