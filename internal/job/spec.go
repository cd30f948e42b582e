package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// overridable are the contract variables a user's options may replace
// (reference §1.4); every other contract variable wins over an option.
var overridable = map[string]bool{
	"http_proxy": true, "https_proxy": true, "no_proxy": true,
	"HTTP_PROXY": true, "HTTPS_PROXY": true, "NO_PROXY": true, "COLUMNS": true,
}

// localPather is a store whose files are reachable as paths on the runner's
// machine (the directory backend).
type localPather interface {
	LocalPath(storage.Key) (string, error)
}

// spec builds what the runner needs for job j.
func (s *Service) spec(ctx context.Context, p *auth.Principal, j store.Job, code Code, parents []int64) (runner.Spec, error) {
	kind := Kind(j.Kind)
	key := Key(kind, j.ID)
	st, err := s.stores.ForTenant(ctx, p.TenantName)
	if err != nil {
		return runner.Spec{}, err
	}
	outArea, attachArea := areas(kind)
	id := strconv.FormatInt(j.ID, 10)
	sp := runner.Spec{Key: key, Tenant: p.TenantName, Kind: kind, ID: j.ID, User: p.UserName,
		Image: j.ImageRef, Command: j.EntryPoint,
		Resources: runner.Resources{CPU: j.CPU, MemoryGB: j.Memory, GPU: j.GPU}, Partition: j.Partition,
		LocalDataSet: j.LocalDataSet,
		Output:       storage.Key{Tenant: p.TenantName, Type: outArea, Path: id},
		Attach:       storage.Key{Tenant: p.TenantName, Type: attachArea, Path: id},
		LogName:      fmt.Sprintf("%s_stdout_stderr_%d.log", kind, j.ID)}
	if j.Zip {
		sp.ZipName = fmt.Sprintf("%s_output_%d.zip", kind, j.ID)
	}
	if j.RegistryID.Valid {
		if sp.Pull, err = s.images.PullAuth(ctx, j.RegistryID.Int64); err != nil {
			return runner.Spec{}, err
		}
	}
	if code.URL != "" {
		sp.Git = &runner.GitSource{URL: code.URL, User: code.User, Token: code.Token, Commit: code.Commit}
	}
	if j.DatasetID.Valid {
		if sp.Inputs, err = s.datasetInputs(ctx, st, p.TenantName, j.DatasetID.Int64); err != nil {
			return runner.Spec{}, err
		}
	}
	if sp.Mounts, err = s.mounts(ctx, st, p, parents); err != nil {
		return runner.Spec{}, err
	}
	token, err := s.accounts.IssueJobToken(ctx, p.UserID, p.TenantID, key, s.tokenTTL)
	if err != nil {
		return runner.Spec{}, err
	}
	sp.Env = s.env(j, p, parents, token)
	return sp, nil
}

// env is the job's environment: contract variables (reference §1.4) over
// the user's options, except the few options may override.
func (s *Service) env(j store.Job, p *auth.Principal, parents []int64, token string) map[string]string {
	env := map[string]string{"COLUMNS": "200"}
	for _, k := range []string{"http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	var opts map[string]string
	_ = json.Unmarshal([]byte(j.Options), &opts)
	for k, v := range opts {
		if _, set := env[k]; !set || overridable[k] {
			env[k] = v
		}
	}
	ids := make([]string, len(parents))
	for i, id := range parents {
		ids[i] = strconv.FormatInt(id, 10)
	}
	contract := map[string]string{
		"KQI_SERVER": s.serverURL(), "KQI_TOKEN": token, "KQI_VERSION": s.version,
		"PYTHONUNBUFFERED": "true", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
		"ZIP_FILE_CREATED": pyBool(j.Zip), "LOCAL_DATASET": pyBool(j.LocalDataSet),
		"PARENT_ID": strings.Join(ids, ","), "COMMIT_ID": j.CommitID, "MODEL_REPOSITORY_URL": j.GitURL,
		"KQI_USER": p.UserName, "KQI_TENANT": p.TenantName,
	}
	if j.DatasetID.Valid {
		contract["DATASET_ID"] = strconv.FormatInt(j.DatasetID.Int64, 10)
	}
	switch Kind(j.Kind) {
	case Training:
		contract["TRAINING_ID"] = strconv.FormatInt(j.ID, 10)
	case Inference:
		contract["INFERENCE_ID"] = strconv.FormatInt(j.ID, 10)
	case Preprocessing:
		contract["PREPROCESSING_ID"] = strconv.FormatInt(j.PreprocessID.Int64, 10)
		contract["DATA_ID"] = strconv.FormatInt(j.InputDataID.Int64, 10)
	}
	for k, v := range contract {
		env[k] = v
	}
	return env
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// datasetInputs lists the dataset's files by path pair, with a signed URL
// for each when the runner cannot see the storage as a directory.
func (s *Service) datasetInputs(ctx context.Context, st storage.Store, tenant string, datasetID int64) ([]runner.Input, error) {
	pairs, err := s.datasets.PathPairs(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	_, local := st.(localPather)
	out := make([]runner.Input, len(pairs))
	for i, pp := range pairs {
		k := storage.Key{Tenant: tenant, Type: storage.Data, Path: pp.StoredPath}
		out[i] = runner.Input{DataPath: pp.DataPath, Stored: k}
		if !local {
			if out[i].URL, err = st.GetURL(ctx, s.serverURL(), k, "", s.urlTTL); err != nil {
				return nil, fmt.Errorf("sign input %s: %w", pp.DataPath, err)
			}
		}
	}
	return out, nil
}

// mounts places the parents' outputs: one training parent at "parent",
// several at "parent/<id>"; parent inferences at "inference/<id>".
func (s *Service) mounts(ctx context.Context, st storage.Store, p *auth.Principal, parents []int64) ([]runner.Mount, error) {
	if len(parents) == 0 {
		return nil, nil
	}
	js, err := s.db.Q().JobsByIDs(ctx, p.TenantID, parents)
	if err != nil {
		return nil, err
	}
	trainings := 0
	for _, j := range js {
		if Kind(j.Kind) == Training {
			trainings++
		}
	}
	var out []runner.Mount
	for _, j := range js {
		area, _ := areas(Kind(j.Kind))
		src := storage.Key{Tenant: p.TenantName, Type: area, Path: strconv.FormatInt(j.ID, 10)}
		path := "inference/" + strconv.FormatInt(j.ID, 10)
		if Kind(j.Kind) == Training {
			path = "parent"
			if trainings > 1 {
				path += "/" + strconv.FormatInt(j.ID, 10)
			}
		}
		m := runner.Mount{Path: path, Source: src}
		if _, local := st.(localPather); !local {
			if m.Files, err = s.signAll(ctx, st, src); err != nil {
				return nil, fmt.Errorf("sign the output of %s %d: %w", j.Kind, j.ID, err)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// signAll lists every file under a stored prefix with a signed URL, for
// runners that download a parent's output instead of linking it.
func (s *Service) signAll(ctx context.Context, st storage.Store, prefix storage.Key) ([]runner.Input, error) {
	objs, err := walk(ctx, st, prefix.Tenant, prefix.Type, prefix.Path)
	if errors.Is(err, storage.ErrNotFound) {
		return []runner.Input{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]runner.Input, 0, len(objs))
	for _, o := range objs {
		u, err := st.GetURL(ctx, s.serverURL(), o.Key, "", s.urlTTL)
		if err != nil {
			return nil, err
		}
		out = append(out, runner.Input{DataPath: strings.TrimPrefix(o.Key.Path, prefix.Path+"/"), Stored: o.Key, URL: u})
	}
	return out, nil
}
