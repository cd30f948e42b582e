package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/local"
)

// jobCmd holds the job contract's phases as commands: prepare and finish
// for the containers of a Kubernetes job, run for the local runner's
// supervisor. Users do not call them.
func jobCmd() *cobra.Command {
	job := &cobra.Command{Use: "job", Short: "The phases of a job, run by the runners (not by hand)", Hidden: true}
	var spec, storageRoot, installTo, upload string
	var wait bool
	// paths maps a pod's paths when its commands run elsewhere (tests).
	paths, pathsErr := jobcontract.ParsePathMap(os.Getenv(jobcontract.PathsEnv))
	readJob := func() (jobcontract.Job, error) {
		var j jobcontract.Job
		if pathsErr != nil {
			return j, pathsErr
		}
		b, err := os.ReadFile(paths.Path(spec))
		if err != nil {
			return j, err
		}
		if err := json.Unmarshal(b, &j); err != nil {
			return j, fmt.Errorf("job spec %s: %w", spec, err)
		}
		j.Layout = paths.Layout(j.Layout)
		return j, j.Layout.Check()
	}
	resolver := func() jobcontract.Resolver {
		if storageRoot == "" {
			return jobcontract.NoResolver{}
		}
		return paths.Resolver(jobcontract.RootResolver{Root: storageRoot})
	}
	prepare := &cobra.Command{
		Use:   "prepare --spec FILE",
		Short: "Fetch the code, materialise the dataset and link parents into the job's layout",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := readJob()
			if err != nil {
				return err
			}
			if installTo != "" {
				if err := installSelf(paths.Path(installTo)); err != nil {
					return err
				}
			}
			return jobcontract.Prepare(cmd.Context(), j, resolver())
		},
	}
	var exitCode int
	finish := &cobra.Command{
		Use:   "finish --spec FILE --exit-code N",
		Short: "Zip the output after success, record the result and make the output read-only",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := readJob()
			if err != nil {
				return err
			}
			if wait {
				return finishSidecar(cmd.Context(), j, upload)
			}
			return jobcontract.Finish(cmd.Context(), j, jobcontract.Result{ExitCode: exitCode, Finished: time.Now()})
		},
	}
	for _, c := range []*cobra.Command{prepare, finish} {
		c.Flags().StringVar(&spec, "spec", "", "the job as JSON (spec and layout)")
		c.Flags().StringVar(&storageRoot, "storage-root", "", "where the storage directory is mounted, if it is")
		_ = c.MarkFlagRequired("spec")
	}
	finish.Flags().IntVar(&exitCode, "exit-code", 0, "the exit code of the user's command")
	prepare.Flags().StringVar(&installTo, "install-to", "", "copy this binary into the directory, for the job's main container")
	finish.Flags().BoolVar(&wait, "wait", false, "run as a sidecar: wait for the command's exit record, finish, then wait to be stopped")
	finish.Flags().StringVar(&upload, "upload", "", "upload output and attach to this server with the job's token (storage not mounted)")
	var dir string
	run := &cobra.Command{
		Use:   "run --dir JOBDIR",
		Short: "Supervise one job of the local runner (started by the server)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewTextHandler(os.Stderr, nil))
			return local.Supervise(cmd.Context(), dir, log)
		},
	}
	run.Flags().StringVar(&dir, "dir", "", "the job's directory")
	_ = run.MarkFlagRequired("dir")
	job.AddCommand(prepare, finish, run, execCmd(readJob, &spec))
	return job
}
