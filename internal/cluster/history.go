package cluster

import (
	"context"
	"database/sql"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/job"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// JobEnded records one row of job history with the capacity of the node
// the job ran on at that time (the job service calls it once per end).
func (s *Service) JobEnded(ctx context.Context, j store.Job, tenant string) {
	r := store.ResourceJob{Placement: store.Placement{NodeName: j.Node, TenantID: j.TenantID, TenantName: tenant},
		Key: job.Key(job.Kind(j.Kind), j.ID), Kind: j.Kind, JobID: j.ID, JobCreatedAt: j.CreatedAt.UTC(),
		JobStartedAt: utcNull(j.JobStartedAt), JobCompletedAt: s.now().UTC(), CPU: j.CPU, Memory: j.Memory, GPU: j.GPU,
		Status: j.Status}
	if j.CompletedAt.Valid {
		r.JobCompletedAt = j.CompletedAt.Time.UTC()
	}
	if j.Node != "" {
		nodes, err := s.runner.Nodes(ctx)
		if err != nil {
			s.log.Warn("cluster: job history without the node's capacity", "job", r.Key, "error", err)
		}
		for _, n := range nodes {
			if n.Name == j.Node {
				r.NodeCPU, r.NodeMemory, r.NodeGPU = n.Capacity.CPU, n.Capacity.MemoryGB, n.Capacity.GPU
			}
		}
	}
	if err := s.db.Q().InsertResourceJob(ctx, r); err != nil {
		s.log.Error("cluster: record job history", "job", r.Key, "error", err)
	}
}

func utcNull(t sql.NullTime) sql.NullTime {
	if t.Valid {
		t.Time = t.Time.UTC()
	}
	return t
}

// HistoryMetadata is how much history is stored
// (ResourceApiModels.HistoryMetadataOutputModel); the dates are null when
// there is none.
type HistoryMetadata struct {
	Count     int64      `json:"count"`
	StartDate *time.Time `json:"startDate"`
	EndDate   *time.Time `json:"endDate"`
}

// HistoryDeleteInput is the body of the history deletes
// (ResourceApiModels.HistoryDeleteInputModel).
type HistoryDeleteInput struct {
	EndDate string `json:"endDate"`
}

// HistoryDeleteOutput says how many rows a delete removed (new).
type HistoryDeleteOutput struct {
	Deleted int64 `json:"deleted"`
}

func metadata(r store.HistoryRange) HistoryMetadata {
	m := HistoryMetadata{Count: r.Count}
	if r.First.Valid {
		f, l := r.First.Time.UTC(), r.Last.Time.UTC()
		m.StartDate, m.EndDate = &f, &l
	}
	return m
}

// ContainerHistoryMetadata describes the stored resource samples.
func (s *Service) ContainerHistoryMetadata(ctx context.Context) (HistoryMetadata, error) {
	r, err := s.db.Q().SampleRange(ctx)
	return metadata(r), err
}

// JobHistoryMetadata describes the stored job history.
func (s *Service) JobHistoryMetadata(ctx context.Context) (HistoryMetadata, error) {
	r, err := s.db.Q().ResourceJobRange(ctx)
	return metadata(r), err
}

// DateRange is [From, To) in UTC.
type DateRange struct{ From, To time.Time }

// ParseDateRange reads the startDate and endDate of a download: a date
// (2026-01-31 or 2026/01/31, whole days in UTC) or an RFC 3339 time; empty
// means unbounded.
func ParseDateRange(start, end string) (DateRange, error) {
	r := DateRange{From: time.Unix(0, 0).UTC(), To: endOfTime}
	var err error
	if start != "" {
		if r.From, _, err = parseDate("startDate", start); err != nil {
			return r, err
		}
	}
	if end != "" {
		if r.To, err = parseEnd(end); err != nil {
			return r, err
		}
	}
	if !r.From.Before(r.To) {
		return r, apperr.Invalid("startDate %s is after endDate %s", start, end)
	}
	return r, nil
}

// endOfTime bounds every end: later times do not compare as text in SQLite.
var endOfTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// parseEnd reads an endDate: a date includes its whole day.
func parseEnd(v string) (time.Time, error) {
	t, day, err := parseDate("endDate", v)
	if day {
		t = t.AddDate(0, 0, 1)
	}
	if t.After(endOfTime) {
		t = endOfTime
	}
	return t, err
}

func parseDate(field, v string) (time.Time, bool, error) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02", "2006/01/02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), false, nil
	}
	return time.Time{}, false, apperr.Invalid("%s %q is not a date", field, v).
		WithDetail("write 2026-01-31 (a whole day, UTC) or an RFC 3339 time such as 2026-01-31T09:00:00Z")
}

// csvTime writes times as RFC 3339 in UTC; an unset one as an empty cell.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func itoa(v int) string { return strconv.Itoa(v) }

// placementCells are the node and tenant columns both histories share.
func placementCells(p store.Placement) []string {
	return []string{p.NodeName, itoa(p.NodeCPU), itoa(p.NodeMemory), itoa(p.NodeGPU), strconv.FormatInt(p.TenantID, 10), p.TenantName}
}

// ContainerHistoryHeader is the header row of the container history CSV.
var ContainerHistoryHeader = []string{"SampledAt", "NodeName", "NodeCpu", "NodeMemory", "NodeGpu", "TenantId",
	"TenantName", "ContainerName", "Cpu", "Memory", "Gpu", "Status"}

// JobHistoryHeader is the header row of the job history CSV.
var JobHistoryHeader = []string{"NodeName", "NodeCpu", "NodeMemory", "NodeGpu", "TenantId", "TenantName",
	"ContainerName", "Kind", "JobId", "CreatedAt", "StartedAt", "CompletedAt", "Cpu", "Memory", "Gpu", "Status"}

// WriteContainerHistory streams the samples of r as CSV (RFC 4180).
func (s *Service) WriteContainerHistory(ctx context.Context, w io.Writer, r DateRange, header bool) error {
	return writeCSV(w, header, ContainerHistoryHeader, func(row func([]string) error) error {
		return s.db.Q().EachContainerSample(ctx, r.From, r.To, func(c store.ContainerSample) error {
			return row(slices.Concat([]string{csvTime(c.SampledAt)}, placementCells(c.Placement),
				[]string{c.Name, itoa(c.CPU), itoa(c.Memory), itoa(c.GPU), c.Status}))
		})
	})
}

// WriteJobHistory streams the jobs that ended in r as CSV (RFC 4180).
func (s *Service) WriteJobHistory(ctx context.Context, w io.Writer, r DateRange, header bool) error {
	return writeCSV(w, header, JobHistoryHeader, func(row func([]string) error) error {
		return s.db.Q().EachResourceJob(ctx, r.From, r.To, func(j store.ResourceJob) error {
			return row(slices.Concat(placementCells(j.Placement), []string{j.Key, j.Kind, strconv.FormatInt(j.JobID, 10),
				csvTime(j.JobCreatedAt), csvTime(j.JobStartedAt.Time), csvTime(j.JobCompletedAt),
				itoa(j.CPU), itoa(j.Memory), itoa(j.GPU), j.Status}))
		})
	})
}

// writeCSV writes the header (when asked) and the rows that each produces.
// Rows reach w as the csv.Writer's buffer fills, so a large history is
// never held in memory.
func writeCSV(w io.Writer, header bool, names []string, each func(row func([]string) error) error) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	if header {
		if err := cw.Write(names); err != nil {
			return err
		}
	}
	if err := each(cw.Write); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// DeleteContainerHistory removes the samples taken up to endDate.
func (s *Service) DeleteContainerHistory(ctx context.Context, in HistoryDeleteInput) (HistoryDeleteOutput, error) {
	end, err := requiredEnd(in)
	if err != nil {
		return HistoryDeleteOutput{}, err
	}
	n, err := s.db.Q().DeleteSamplesBefore(ctx, end)
	return HistoryDeleteOutput{Deleted: n}, err
}

// DeleteJobHistory removes the history of the jobs that ended up to endDate.
func (s *Service) DeleteJobHistory(ctx context.Context, in HistoryDeleteInput) (HistoryDeleteOutput, error) {
	end, err := requiredEnd(in)
	if err != nil {
		return HistoryDeleteOutput{}, err
	}
	n, err := s.db.Q().DeleteResourceJobsBefore(ctx, end)
	return HistoryDeleteOutput{Deleted: n}, err
}

func requiredEnd(in HistoryDeleteInput) (time.Time, error) {
	if strings.TrimSpace(in.EndDate) == "" {
		return time.Time{}, apperr.Invalid("endDate is required").WithDetail("history up to this date (inclusive) is deleted")
	}
	return parseEnd(in.EndDate)
}
