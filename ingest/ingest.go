package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/internal/failpoint"
	"github.com/segmentio/kafka-go"
)

// input is one file to ingest, with its mapping when it is a CSV.
type input struct {
	path    string // as given (or found under a given folder)
	abs     string // the checkpoint key
	csv     bool
	mapping *Mapping
}

// Ingest reads each path (a file, or a folder searched recursively in sorted
// order), validates and pseudonymises every record, and produces it to its
// family's topic or, with the reason, to the dead-letter topic. Checkpoints
// in cfg.StateDir make a re-run skip what Kafka has already acknowledged.
//
// The Summary counts what was acknowledged, also when err is not nil.
// Dead-lettered input is not an error; a missing file, a CSV without a
// usable mapping, or Kafka failing is.
func Ingest(ctx context.Context, cfg Config, paths ...string) (Summary, error) {
	var sum Summary
	if err := cfg.Validate(); err != nil {
		return sum, err
	}
	inputs, err := plan(&cfg, paths)
	if err != nil {
		return sum, err
	}
	st, err := openStore(cfg.StateDir)
	if err != nil {
		return sum, fmt.Errorf("ingest: %w", err)
	}
	w, err := newWriter(ctx, &cfg)
	if err != nil {
		return sum, err
	}
	r := &run{cfg: &cfg, store: st, w: w, seen: map[string]struct{}{}, start: time.Now()}
	for _, in := range inputs {
		fs, err := r.file(ctx, in)
		r.total.addFile(fs)
		if err != nil {
			return r.total, errors.Join(err, closeWriter(w))
		}
		cfg.Logger.Info("ingested file", "path", in.path, "read", fs.Read, "ingested", fs.Ingested,
			"dead_lettered", fs.DeadLettered, "duplicates", fs.Duplicates, "note", fs.Note)
	}
	return r.total, closeWriter(w)
}

func closeWriter(w *kafka.Writer) error {
	if err := w.Close(); err != nil {
		return fmt.Errorf("ingest: close producer: %w", err)
	}
	return nil
}

// plan expands the paths into files and resolves each CSV's mapping, so
// that a usage error is reported before anything is produced.
func plan(cfg *Config, paths []string) ([]input, error) {
	if len(paths) == 0 {
		return nil, errors.New("ingest: no input; name files or folders of .ndjson, .jsonl or .csv exports")
	}
	var out []input
	seen := map[string]bool{}
	mappings := map[string]*Mapping{}
	add := func(path string) error {
		kind := fileKind(path)
		if kind == "" {
			cfg.Logger.Info("ingest: skipping file of unknown type (want .ndjson, .jsonl or .csv)", "path", path)
			return nil
		}
		if kind == "mapping" {
			cfg.Logger.Debug("ingest: mapping file, not input", "path", path)
			return nil
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return fmt.Errorf("ingest %s: %w", path, err)
		}
		if seen[abs] {
			return nil
		}
		seen[abs] = true
		in := input{path: path, abs: abs, csv: kind == "csv"}
		if in.csv {
			if in.mapping, err = mappingFor(cfg, path, mappings); err != nil {
				return err
			}
			if err := checkHeader(in); err != nil {
				return err
			}
		}
		out = append(out, in)
		return nil
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("ingest %s: no such file or folder", p)
			}
			return nil, fmt.Errorf("ingest %s: %w", p, err)
		}
		if !info.IsDir() {
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		before := len(out)
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("ingest %s: %w", path, err)
			}
			if strings.HasPrefix(d.Name(), ".") && path != p {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				return add(path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) == before {
			return nil, fmt.Errorf("ingest %s: the folder holds no .ndjson, .jsonl or .csv file", p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ingest %s: nothing to ingest; want .ndjson, .jsonl or .csv files", strings.Join(paths, " "))
	}
	return out, nil
}

func fileKind(path string) string {
	name := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(name, ".mapping.yaml"), strings.HasSuffix(name, ".mapping.yml"):
		return "mapping"
	case strings.HasSuffix(name, ".ndjson"), strings.HasSuffix(name, ".jsonl"):
		return "ndjson"
	case strings.HasSuffix(name, ".csv"):
		return "csv"
	}
	return ""
}

// mappingFor finds X.mapping.yaml beside X.csv, else the configured default.
func mappingFor(cfg *Config, csvPath string, cache map[string]*Mapping) (*Mapping, error) {
	beside := strings.TrimSuffix(csvPath, filepath.Ext(csvPath)) + ".mapping.yaml"
	path := beside
	if _, err := os.Stat(beside); err != nil {
		if cfg.Mapping == "" {
			return nil, fmt.Errorf("ingest %s: no mapping for this CSV; put one at %s or give a default mapping file (--mapping FILE)", csvPath, beside)
		}
		path = cfg.Mapping
	}
	if m, ok := cache[path]; ok {
		return m, nil
	}
	m, err := LoadMapping(path)
	if err != nil {
		return nil, fmt.Errorf("ingest %s: %w", csvPath, err)
	}
	cache[path] = m
	return m, nil
}

// checkHeader reads a CSV's header and binds the mapping to it.
func checkHeader(in input) error {
	f, err := os.Open(in.path)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", in.path, err)
	}
	defer f.Close()
	_, _, err = readHeader(newRecordReader(f, sha256.New(), true, MaxLineBytes), in)
	return err
}

// readHeader reads the header row; an empty file has none and no rows.
func readHeader(rr *recordReader, in input) (cols []int, ncols int, err error) {
	rec, err := rr.next()
	if errors.Is(err, io.EOF) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("ingest %s line 1: %w", in.path, err)
	}
	header, err := splitCSV(string(rec.data))
	if err != nil {
		return nil, 0, fmt.Errorf("ingest %s line %d: header row: %w", in.path, rec.line, err)
	}
	cols, err = in.mapping.bind(header)
	if err != nil {
		return nil, 0, fmt.Errorf("ingest %s line %d: %w", in.path, rec.line, err)
	}
	return cols, len(header), nil
}

// run is the state of one call to Ingest.
type run struct {
	cfg   *Config
	store *store
	w     *kafka.Writer
	seen  map[string]struct{}
	total Summary
	start time.Time
}

// batch is a run of records read and converted, ready to produce. Its
// position fields say where the file stands once it is acknowledged.
type batch struct {
	msgs                   []kafka.Message
	bytes                  int
	records                int // records handled (not skipped) in the batch
	read, ing, dead, dups  int64
	byCode, byFamily       map[string]int64
	end, lines, recordsEnd int64
	prefix                 string
	eof                    bool
	err                    error
}

// maxPendingBytes bounds the memory one batch may hold.
const maxPendingBytes = 16 << 20

// file ingests one file: decide what a checkpoint lets it skip, then read
// batches in one goroutine while this one produces them and, once Kafka
// has acknowledged each, checkpoints it.
func (r *run) file(ctx context.Context, in input) (FileSummary, error) {
	fsum := FileSummary{Path: in.path}
	cp, err := r.store.load(in.abs)
	if err != nil {
		return fsum, fmt.Errorf("ingest %s: %w", in.path, err)
	}
	var at int64
	if cp != nil {
		at = cp.Offset
	}
	whole, prefix, _, err := hashFile(in.path, at)
	if err != nil {
		return fsum, fmt.Errorf("ingest %s: %w", in.path, err)
	}
	// Records starting before skip are already in Kafka. (Comparing starts,
	// not ends, matters when the last line had no newline until an append.)
	var skip int64
	seenContent, err := r.store.content(whole)
	if err != nil {
		return fsum, fmt.Errorf("ingest %s: %w", in.path, err)
	}
	switch {
	case seenContent != nil:
		skip = math.MaxInt64
		if seenContent.Path == in.abs {
			fsum.Note = "already ingested"
		} else {
			fsum.Note = "same content as " + seenContent.Path
		}
	case cp != nil && cp.Offset > 0 && prefix == cp.PrefixSHA256:
		skip = cp.Offset
		fsum.Note = fmt.Sprintf("resumed after line %d", cp.Lines)
	case cp != nil && cp.Offset > 0:
		r.cfg.Logger.Warn("ingest: file changed since its checkpoint; reading it again from the start (the warehouse de-duplicates by event_id)", "path", in.path)
	}

	f, err := os.Open(in.path)
	if err != nil {
		return fsum, fmt.Errorf("ingest %s: %w", in.path, err)
	}
	defer f.Close()
	h := sha256.New()
	rr := newRecordReader(f, h, in.csv, MaxLineBytes)
	p := &processor{
		kafkaTopic: r.cfg.Kafka.Topic,
		opts:       events.DecodeOptions{Pseudonymiser: r.cfg.Pseudonymiser, Now: r.cfg.Now},
		now:        r.cfg.Now,
		origin:     in.path,
		seen:       r.seen,
		mapping:    in.mapping,
	}
	if in.csv {
		if p.cols, p.ncols, err = readHeader(rr, in); err != nil {
			return fsum, err
		}
		for i, t := range in.mapping.targets {
			if t.ident && p.cols != nil {
				p.idCols = append(p.idCols, p.cols[i])
			}
		}
	}

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *batch, 1) // read the next batch while this one is produced
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.read(rctx, rr, p, in, skip, batches)
	}()
	defer func() { cancel(); <-done }()

	for b := range batches {
		if b.err != nil {
			return fsum, b.err
		}
		if len(b.msgs) > 0 {
			if err := r.w.WriteMessages(ctx, b.msgs...); err != nil {
				return fsum, fmt.Errorf("ingest %s line %d: produce batch: %w", in.path, b.lines, err)
			}
		}
		ncp := &checkpoint{Path: in.abs, Offset: b.end, Lines: b.lines, Records: b.recordsEnd, PrefixSHA256: b.prefix, UpdatedAt: r.cfg.Now().UTC()}
		if b.eof {
			ncp.Complete = true
			if b.prefix == whole {
				ncp.ContentSHA256 = whole
			} else {
				r.cfg.Logger.Warn("ingest: file changed while it was read; not indexing its content", "path", in.path)
			}
		}
		// Failpoints for the fault tests (../faults, internal/failpoint):
		// a crash between the two is the window in which a batch Kafka
		// acknowledged is produced again on the next run.
		if err := failpoint.Inject("ingest.before_checkpoint"); err != nil {
			return fsum, fmt.Errorf("ingest %s line %d: %w", in.path, b.lines, err)
		}
		if err := r.store.save(ncp); err != nil {
			return fsum, fmt.Errorf("ingest %s line %d: %w", in.path, b.lines, err)
		}
		if err := failpoint.Inject("ingest.after_checkpoint"); err != nil {
			return fsum, fmt.Errorf("ingest %s line %d: %w", in.path, b.lines, err)
		}
		if ncp.ContentSHA256 != "" && seenContent == nil {
			if err := r.store.saveContent(whole, contentEntry{Path: in.abs, Records: b.recordsEnd}); err != nil {
				return fsum, fmt.Errorf("ingest %s: %w", in.path, err)
			}
		}
		fsum.Read += b.read
		fsum.Ingested += b.ing
		fsum.DeadLettered += b.dead
		fsum.Duplicates += b.dups
		r.total.add(b.read, b.ing, b.dead, b.dups, b.byCode, b.byFamily)
		if r.cfg.Progress != nil {
			r.cfg.Progress(Progress{File: in.path, Line: b.lines, Totals: r.total, Elapsed: time.Since(r.start)})
		}
	}
	return fsum, ctx.Err()
}

// read converts records into batches and sends them, closing the channel
// at the end of the file, on a read error (sent as a batch) or when ctx ends.
func (r *run) read(ctx context.Context, rr *recordReader, p *processor, in input, skip int64, out chan<- *batch) {
	defer close(out)
	send := func(b *batch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var records int64
	b := &batch{}
	seal := func() {
		b.end, b.lines, b.recordsEnd = rr.off, rr.lines, records
		b.prefix = hex.EncodeToString(rr.h.Sum(nil))
	}
	for {
		rec, err := rr.next()
		if errors.Is(err, io.EOF) {
			b.eof = true
			seal()
			send(b)
			return
		}
		if err != nil {
			send(&batch{err: fmt.Errorf("ingest %s line %d: read: %w", in.path, rr.lines+1, err)})
			return
		}
		records++
		b.read++
		if rec.start < skip {
			b.dups++
			continue
		}
		var o outcome
		if in.csv {
			o = p.csvRow(rec)
		} else {
			o = p.ndjson(rec)
		}
		b.records++
		switch o.verdict {
		case ingested:
			b.ing++
			inc(&b.byFamily, o.family)
		case deadLettered:
			b.dead++
			inc(&b.byCode, o.code)
		case duplicate:
			b.dups++
		}
		if o.verdict != duplicate {
			b.msgs = append(b.msgs, o.msg)
			b.bytes += len(o.msg.Key) + len(o.msg.Value)
		}
		if b.records >= r.cfg.BatchSize || b.bytes >= maxPendingBytes {
			seal()
			if !send(b) {
				return
			}
			b = &batch{}
		}
	}
}

func inc(m *map[string]int64, k string) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[k]++
}
