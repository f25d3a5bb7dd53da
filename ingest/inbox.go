package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Inbox is a folder that exports are dropped into while a service runs.
// Each poll takes the files that are complete — a NAME.done marker beside
// NAME, or the same size and modification time as at the previous poll —
// ingests them with Ingest, and moves each to processed/ or, when it cannot
// be ingested (a CSV without a mapping, unreadable), to failed/ with
// NAME.reason.txt beside it. Dead-lettered lines do not fail a file.
//
//	in := &ingest.Inbox{Dir: "data/inbox", Config: cfg}
//	err := in.Run(ctx) // until ctx ends
//
// A file interrupted by shutdown stays where it is; its checkpoint makes
// the next start resume after the last acknowledged batch.
type Inbox struct {
	// Dir is the folder watched (not recursively). Required; created.
	Dir string
	// Config is the ingest configuration used for every file. Required.
	Config Config
	// Interval between polls. Default 2s.
	Interval time.Duration
	// Grace is how long an ingest in progress may go on once ctx has ended,
	// so that its current batches are acknowledged and checkpointed.
	// Default 10s.
	Grace time.Duration
	// OnFile, when set, is called after each file with its summary and
	// error (nil when it was processed).
	OnFile func(path string, sum Summary, err error)

	last map[string]fileStamp
}

type fileStamp struct {
	size  int64
	mtime time.Time
}

// Run polls until ctx ends. It returns nil on cancellation; only a failure
// to create the folders is an error.
func (in *Inbox) Run(ctx context.Context) error {
	if in.Interval <= 0 {
		in.Interval = 2 * time.Second
	}
	for _, d := range []string{in.Dir, filepath.Join(in.Dir, "processed"), filepath.Join(in.Dir, "failed")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("ingest: inbox: %w", err)
		}
	}
	t := time.NewTicker(in.Interval)
	defer t.Stop()
	for {
		in.Poll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Poll makes one pass over the folder.
func (in *Inbox) Poll(ctx context.Context) {
	log := in.Config.Logger
	if log == nil {
		log = slog.Default()
	}
	if in.last == nil {
		in.last = map[string]fileStamp{}
	}
	if in.Grace <= 0 {
		in.Grace = 10 * time.Second
	}
	entries, err := os.ReadDir(in.Dir)
	if err != nil {
		log.Warn("inbox: cannot list", "dir", in.Dir, "err", err)
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	now := map[string]fileStamp{}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".done") {
			continue
		}
		kind := fileKind(name)
		if kind == "" || kind == "mapping" {
			continue // mappings travel with their CSV
		}
		if ctx.Err() != nil {
			return
		}
		path := filepath.Join(in.Dir, name)
		info, err := e.Info()
		if err != nil {
			continue
		}
		st := fileStamp{info.Size(), info.ModTime()}
		now[name] = st
		_, marker := os.Stat(path + ".done")
		if prev, ok := in.last[name]; marker != nil && (!ok || prev != st) {
			continue // still being written, perhaps
		}
		delete(now, name)
		in.take(ctx, log, path)
	}
	in.last = now
}

// take ingests one complete file and files it away.
func (in *Inbox) take(ctx context.Context, log *slog.Logger, path string) {
	// Let the batches in flight finish when ctx ends, within the grace.
	ictx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(in.Grace, cancel)
		<-ictx.Done()
		t.Stop()
	})
	defer stop()
	sum, err := Ingest(ictx, in.Config, path)
	if ictx.Err() != nil || ctx.Err() != nil && err != nil {
		log.Info("inbox: stopped during a file; it resumes from its checkpoint on the next start", "path", path)
		return
	}
	if in.OnFile != nil {
		in.OnFile(path, sum, err)
	}
	name := filepath.Base(path)
	dest := filepath.Join(in.Dir, "processed", name)
	if err != nil {
		dest = filepath.Join(in.Dir, "failed", name)
		if werr := os.WriteFile(dest+".reason.txt", []byte(err.Error()+"\n"), 0o644); werr != nil {
			log.Error("inbox: cannot write reason file", "path", dest+".reason.txt", "err", werr)
		}
		log.Warn("inbox: file failed", "path", path, "err", err)
	} else {
		log.Info("inbox: file ingested", "path", path, "read", sum.Read, "ingested", sum.Ingested,
			"dead_lettered", sum.DeadLettered, "duplicates", sum.Duplicates)
	}
	if _, err := os.Stat(dest); err == nil {
		dest = fmt.Sprintf("%s.%s", dest, time.Now().UTC().Format("20060102T150405.000000000"))
	}
	if err := os.Rename(path, dest); err != nil {
		log.Error("inbox: cannot move file", "path", path, "to", dest, "err", err)
		return
	}
	if m := strings.TrimSuffix(path, filepath.Ext(path)) + ".mapping.yaml"; fileKind(path) == "csv" {
		if _, err := os.Stat(m); err == nil {
			_ = os.Rename(m, filepath.Join(filepath.Dir(dest), filepath.Base(m)))
		}
	}
	if err := os.Remove(path + ".done"); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Warn("inbox: cannot remove marker", "path", path+".done", "err", err)
	}
}
