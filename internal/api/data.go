package api

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
)

func (s *Server) dataRoutes() []*Route {
	const tag = "Data"
	readers := []string{auth.MenuCodeData, auth.MenuCodeDataSet, auth.MenuCodePreprocess}
	return []*Route{
		rawEndpoint("GET", "/api/v2/data", func(w http.ResponseWriter, r *http.Request) ([]data.View, error) {
			all, err := s.data.List(r.Context())
			if err != nil {
				return nil, err
			}
			hits, err := filterData(r, all)
			if err != nil {
				return nil, err
			}
			return page(w, r, hits)
		}).Perm(readers...).Paged().Q(
			Param{"Id", "string", "filter on id: a number, or >=, >, <=, < or = and a number"},
			Param{"Name", "string", "filter: substring, !negation"},
			Param{"Memo", "string", "filter: substring, !negation"},
			Param{"CreatedAt", "string", "filter on the creation date: >=2026-01-31 and the like"},
			Param{"CreatedBy", "string", "filter: substring, !negation"},
			Param{"tag", "string", "tags the data must carry (repeat, or comma-separated); !tag: must not carry"},
		).Doc(tag, "Data of the tenant, newest first"),

		endpoint("GET", "/api/v2/data/datatags", func(r *http.Request) ([]string, error) {
			return s.data.Tags(r.Context())
		}).Perm(auth.MenuCodeData).Doc(tag, "Data tags of the tenant"),

		endpoint("DELETE", "/api/v2/data/datatags", func(r *http.Request) (NoContent, error) {
			return NoContent{}, s.data.PurgeTags(r.Context())
		}).Doc(tag, "Delete the data tags that no data carries"),

		endpoint("GET", "/api/v2/data/{id}", func(r *http.Request) (data.Details, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return data.Details{}, err
			}
			return s.data.Get(r.Context(), id)
		}).Perm(auth.MenuCodeData, auth.MenuCodePreprocess).Doc(tag, "One data with its file names, parent and preprocessings"),

		bodyEndpoint("POST", "/api/v2/data", func(r *http.Request, in data.Input) (data.View, error) {
			return s.data.Create(r.Context(), in)
		}).Perm(auth.MenuCodeData).Code(http.StatusCreated).Doc(tag, "Create a data (files are added afterwards)"),

		bodyEndpoint("PUT", "/api/v2/data/{id}", func(r *http.Request, in data.EditInput) (data.View, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return data.View{}, err
			}
			return s.data.Edit(r.Context(), id, in)
		}).Perm(auth.MenuCodeData).Doc(tag, "Edit name, memo and tags of a data"),

		endpoint("DELETE", "/api/v2/data/{id}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.data.Delete(r.Context(), id)
		}).Perm(auth.MenuCodeData).Doc(tag, "Delete a data and its files (409 while a training's dataset holds it)"),

		endpoint("PUT", "/api/v2/data/{id}/tags/{tag}", func(r *http.Request) (data.View, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return data.View{}, err
			}
			return s.data.AddTag(r.Context(), id, r.PathValue("tag"))
		}).Perm(auth.MenuCodeData).Doc(tag, "Attach a tag"),

		endpoint("DELETE", "/api/v2/data/{id}/tags/{tag}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.data.RemoveTag(r.Context(), id, r.PathValue("tag"))
		}).Perm(auth.MenuCodeData).Doc(tag, "Detach a tag"),

		endpoint("GET", "/api/v2/data/{id}/files", func(r *http.Request) ([]data.FileView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return nil, err
			}
			withURL, err := queryBool(r, "withUrl")
			if err != nil {
				return nil, err
			}
			return s.data.Files(r.Context(), s.baseURL(r), id, withURL)
		}).Perm(auth.MenuCodeData, auth.MenuCodePreprocess).
			Q(Param{"withUrl", "boolean", "add a signed download URL to each file"}).
			Doc(tag, "Files of a data with size and SHA-256"),

		bodyEndpoint("POST", "/api/v2/data/{id}/files", func(r *http.Request, in data.AddFilesInput) (data.FilesView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return data.FilesView{}, err
			}
			return s.data.AddFiles(r.Context(), id, in)
		}).Perm(auth.MenuCodeData).Code(http.StatusCreated).
			Doc(tag, "Register uploaded files to a data, all or none (at most 10,000 per data, names unique)"),

		endpoint("GET", "/api/v2/data/{id}/files/{file}", func(r *http.Request) (data.FileView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return data.FileView{}, err
			}
			return s.data.File(r.Context(), s.baseURL(r), id, r.PathValue("file"), true)
		}).Perm(auth.MenuCodeData).Doc(tag, "One file by name, with a signed download URL"),

		endpoint("GET", "/api/v2/data/{id}/files/{file}/size", func(r *http.Request) (data.FileView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return data.FileView{}, err
			}
			return s.data.File(r.Context(), s.baseURL(r), id, r.PathValue("file"), false)
		}).Perm(auth.MenuCodeData).Doc(tag, "Size of one file, in bytes"),

		endpoint("DELETE", "/api/v2/data/{id}/files/{file}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			// The original's path: GET takes the file's name there, DELETE its id.
			fileID, err := pathID(r, "file")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.data.DeleteFile(r.Context(), id, fileID)
		}).Perm(auth.MenuCodeData).Doc(tag, "Delete one file (409 while a training's dataset holds the data)"),

		newRoute[Raw]("GET", "/api/v2/data/{id}/files/{fileId}/thumbnail", func(w http.ResponseWriter, r *http.Request) error {
			id, err := pathID(r, "id")
			if err != nil {
				return err
			}
			fileID, err := pathID(r, "fileId")
			if err != nil {
				return err
			}
			size, err := queryInt(r, "size", 256)
			if err != nil {
				return err
			}
			th, err := s.data.Thumbnail(r.Context(), id, fileID, size)
			if err != nil {
				return err
			}
			etag := `"` + th.SHA256 + "-" + strconv.Itoa(size) + `"`
			w.Header().Set("ETag", etag)
			w.Header().Set("Cache-Control", "private, max-age=86400")
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return nil
			}
			w.Header().Set("Content-Type", "image/jpeg")
			w.Header().Set("Content-Length", strconv.Itoa(len(th.JPEG)))
			_, _ = w.Write(th.JPEG)
			return nil
		}).Perm(auth.MenuCodeData, auth.MenuCodeDataSet).Produces("image/jpeg").
			Q(Param{"size", "integer", "longer side in pixels, 16 to 1024 (default 256)"}).
			Doc(tag, "A JPEG preview of an image file (JPEG, PNG, GIF, WebP)"),

		uploadEndpoint(s, "POST", "/api/v2/data/{id}/archive", func(r *http.Request, body io.Reader) (data.FilesView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return data.FilesView{}, err
			}
			return s.data.AddArchive(r.Context(), id, body)
		}).Perm(auth.MenuCodeData).Accepts("application/x-tar", "application/gzip").
			Doc(tag, "Add every regular file of a tar stream (plain or gzip) to a data in one request; nothing is kept if any file is refused"),

		uploadEndpoint(s, "POST", "/api/v2/data/archive", func(r *http.Request, body io.Reader) (data.FilesView, error) {
			in := data.Input{Name: query(r, "name"), Memo: query(r, "memo"), Tags: queryList(r, "tag")}
			return s.data.CreateFromArchive(r.Context(), in, body)
		}).Perm(auth.MenuCodeData).Accepts("application/x-tar", "application/gzip").Q(
			Param{"name", "string", "name of the new data (required)"},
			Param{"memo", "string", "memo of the new data"},
			Param{"tag", "string", "tags of the new data (repeat, or comma-separated)"},
		).Doc(tag, "Create a data with the files of a tar stream, in one step: the data exists only if every file was stored"),
	}
}

// queryList collects a repeated or comma-separated query parameter.
func queryList(r *http.Request, name string) []string {
	var out []string
	for k, vs := range r.URL.Query() {
		if !strings.EqualFold(k, name) && !strings.EqualFold(k, name+"s") {
			continue
		}
		for _, v := range vs {
			for item := range strings.SplitSeq(v, ",") {
				if item = strings.TrimSpace(item); item != "" {
					out = append(out, item)
				}
			}
		}
	}
	return out
}

func filterData(r *http.Request, all []data.View) ([]data.View, error) {
	idF, name, memo, created, by := query(r, "Id"), query(r, "Name"), query(r, "Memo"), query(r, "CreatedAt"), query(r, "CreatedBy")
	tags := queryList(r, "tag")
	hits := []data.View{}
	for _, d := range all {
		ok, err := matchNumber(idF, d.ID)
		if err != nil {
			return nil, err
		}
		okTime, err := matchTime(created, d.CreatedAt)
		if err != nil {
			return nil, err
		}
		if ok && okTime && matchString(name, d.Name) && matchString(memo, d.Memo) && matchString(by, d.CreatedBy) &&
			matchTags(tags, d.Tags) {
			hits = append(hits, d)
		}
	}
	return hits, nil
}

// matchTags: every tag must be carried, every !tag must not be.
func matchTags(want, have []string) bool {
	for _, t := range want {
		neg := strings.HasPrefix(t, "!")
		t = strings.TrimPrefix(t, "!")
		found := false
		for _, h := range have {
			if strings.EqualFold(h, t) {
				found = true
				break
			}
		}
		if found == neg {
			return false
		}
	}
	return true
}
