package ingest

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
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
	r := &run{cfg: &cfg, store: st, w: w, seen: newIDSet(), start: time.Now()}
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
	seen  *idSet // event ids ingested in the run
	total Summary
	start time.Time
}

// batch is a run of records read and converted, ready to produce. Its
// position fields say where the file stands once it is acknowledged.
type batch struct {
	msgs                   []kafka.Message
	chunks                 []*chunk // whose slabs hold msgs' bytes
	bytes                  int
	records                int // records handled (not skipped) in the batch
	skipped                int // records before the resume point (already in Kafka)
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
// batches in other goroutines while this one produces them and, once Kafka
// has acknowledged each, checkpoints it.
//
// Deciding may need the file's SHA-256 (has this content been ingested
// under any name?), which costs a whole read of the file. With no
// checkpoint for the path, the common case, a file of a length that no
// indexed content has is new content and is not hashed first (the reader's
// own hash, at the end, is what is indexed); otherwise it is hashed while
// its first batches are converted, and the hash is awaited before the
// first produce; only if the content proves already ingested is the
// conversion started again, skipping everything.
//
// Resuming, the reader hashes on from hashFile's state after the verified
// prefix instead of hashing it again: this run produces nothing from those
// bytes, so what its checkpoints must cover is the prefix the checkpoint
// proved acknowledged, followed by what the reader itself read. (Were the
// prefix rewritten after hashFile, the next run sees a changed file.)
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
	type hashed struct {
		whole, prefix string
		state         []byte
		err           error
	}
	// A new file whose length no indexed content has is new content: its
	// whole hash is then the reader's at the end, and the file is hashed
	// once, not twice.
	hashWhole := cp != nil
	if !hashWhole {
		fi, err := os.Stat(in.path)
		if err != nil {
			return fsum, fmt.Errorf("ingest %s: %w", in.path, err)
		}
		if hashWhole, err = r.store.sizeIndexed(fi.Size()); err != nil {
			return fsum, fmt.Errorf("ingest %s: %w", in.path, err)
		}
	}
	hashing := make(chan hashed, 1)
	if hashWhole {
		go func() {
			whole, prefix, state, err := hashWholeFile(in.path, at)
			hashing <- hashed{whole, prefix, state, err}
		}()
	} else {
		hashing <- hashed{} // no whole hash: not in the index
	}
	var (
		whole       string
		seenContent *contentEntry
		resumeState []byte // the hash after the skipped prefix, when resuming
	)
	// decide waits for the hash and returns where the file's records start
	// to be new. (Comparing records' starts, not ends, matters when the
	// last line had no newline until an append.)
	decide := func() (skip int64, err error) {
		h := <-hashing
		if h.err != nil {
			return 0, fmt.Errorf("ingest %s: %w", in.path, h.err)
		}
		whole = h.whole
		if whole != "" {
			if seenContent, err = r.store.content(whole); err != nil {
				return 0, fmt.Errorf("ingest %s: %w", in.path, err)
			}
		}
		switch {
		case seenContent != nil:
			skip = math.MaxInt64
			if seenContent.Path == in.abs {
				fsum.Note = "already ingested"
			} else {
				fsum.Note = "same content as " + seenContent.Path
			}
		case cp != nil && cp.Offset > 0 && h.prefix == cp.PrefixSHA256:
			skip, resumeState = cp.Offset, h.state
			fsum.Note = fmt.Sprintf("resumed after line %d", cp.Lines)
		case cp != nil && cp.Offset > 0:
			r.cfg.Logger.Warn("ingest: file changed since its checkpoint; reading it again from the start (the warehouse de-duplicates by event_id)", "path", in.path)
		}
		return skip, nil
	}

	var skip int64
	decided := cp != nil // resuming: decide first
	if decided {
		if skip, err = decide(); err != nil {
			return fsum, err
		}
		if seenContent != nil {
			r.indexed(&fsum, in.path, seenContent)
			return fsum, nil
		}
	}
	batches, stop, err := r.convert(ctx, in, skip, resumeState)
	if err != nil {
		if !decided {
			<-hashing
		}
		return fsum, err
	}
	defer func() { stop() }()

	for {
		b, ok := <-batches
		if !ok {
			break
		}
		if b.err != nil {
			if !decided {
				<-hashing
			}
			return fsum, b.err
		}
		if !decided {
			decided = true
			if skip, err = decide(); err != nil {
				return fsum, err
			}
			if seenContent != nil { // already ingested: count it all as duplicates
				stop()
				recycle(b) // converted before the hash said so; never produced
				r.indexed(&fsum, in.path, seenContent)
				return fsum, nil
			}
		}
		if b.skipped == int(b.read) && !b.eof {
			// Only records already in Kafka: nothing to produce, and the
			// checkpoint already says so.
			recycle(b)
			r.tally(&fsum, in.path, b)
			continue
		}
		if len(b.msgs) > 0 {
			if err := r.w.WriteMessages(ctx, b.msgs...); err != nil {
				return fsum, fmt.Errorf("ingest %s line %d: produce batch: %w", in.path, b.lines, err)
			}
		}
		recycle(b) // WriteMessages has returned: kafka-go is done with them
		ncp := &checkpoint{Path: in.abs, Offset: b.end, Lines: b.lines, Records: b.recordsEnd, PrefixSHA256: b.prefix, UpdatedAt: r.cfg.Now().UTC()}
		if b.eof {
			ncp.Complete = true
			if !hashWhole {
				whole = b.prefix // what was read is what is indexed
			}
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
			if err := r.store.saveContent(whole, contentEntry{Path: in.abs, Records: b.recordsEnd, Lines: b.lines, Bytes: b.end}); err != nil {
				return fsum, fmt.Errorf("ingest %s: %w", in.path, err)
			}
		}
		r.tally(&fsum, in.path, b)
	}
	return fsum, ctx.Err()
}

// indexed counts a file whose content the index holds (ingested before,
// under this name or another) as read and duplicate, from the index,
// without reading it again: the hash that found it was one whole read,
// and counting its records was a second (27-38 s for a national year's
// exports run again).
func (r *run) indexed(fsum *FileSummary, path string, c *contentEntry) {
	lines := c.Lines
	if lines == 0 { // indexed before lines were kept
		lines = c.Records
	}
	r.tally(fsum, path, &batch{read: c.Records, dups: c.Records, lines: lines})
}

// tally counts a batch done, in the file's summary and the run's, and
// reports the progress when the Config asks.
func (r *run) tally(fsum *FileSummary, path string, b *batch) {
	fsum.Read += b.read
	fsum.Ingested += b.ing
	fsum.DeadLettered += b.dead
	fsum.Duplicates += b.dups
	r.total.add(b.read, b.ing, b.dead, b.dups, b.byCode, b.byFamily)
	if r.cfg.Progress != nil {
		r.cfg.Progress(Progress{File: path, Line: b.lines, Totals: r.total, Elapsed: time.Since(r.start)})
	}
}

// hashWholeFile is hashFile; tests count its calls.
var hashWholeFile = hashFile

// convert opens the file and starts converting its records from the
// start, those before skip counted as already in Kafka, into batches.
// resumeState, when not nil, is the SHA-256 state after the first skip
// bytes, which the checkpoint proved are the ones acknowledged: the reader
// hashes on from there. stop ends the conversion and closes the file.
func (r *run) convert(ctx context.Context, in input, skip int64, resumeState []byte) (batches <-chan *batch, stop func(), err error) {
	h := sha256.New()
	var hashFrom int64
	if resumeState != nil {
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(resumeState); err != nil {
			return nil, nil, fmt.Errorf("ingest %s: %w", in.path, err)
		}
		hashFrom = skip
	}
	f, err := os.Open(in.path)
	if err != nil {
		return nil, nil, fmt.Errorf("ingest %s: %w", in.path, err)
	}
	rr := newRecordReader(f, h, in.csv, MaxLineBytes)
	rr.hashFrom = hashFrom
	p := &processor{
		kafkaTopic: topicNames(r.cfg.Kafka.Topic),
		opts:       events.DecodeOptions{Pseudonymiser: r.cfg.Pseudonymiser, Now: r.cfg.Now},
		now:        r.cfg.Now,
		origin:     in.path,
		mapping:    in.mapping,
	}
	if in.csv {
		if p.cols, p.ncols, err = readHeader(rr, in); err != nil {
			f.Close()
			return nil, nil, err
		}
		for i, t := range in.mapping.targets {
			if t.ident && p.cols != nil {
				p.idCols = append(p.idCols, p.cols[i])
			}
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	out := make(chan *batch, 1) // convert the next batch while this one is produced
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.read(rctx, rr, p, in, skip, out)
	}()
	return out, func() { cancel(); <-done; f.Close() }, nil
}

// chunk is a run of consecutive records of one file, copied out of the
// reader's buffer, with where the file stands after its last record. A
// worker turns its records into outcomes; done is closed when it has.
type chunk struct {
	recs     []record // data points into buf
	buf      []byte
	outcomes []outcome
	slab     []byte // the processor's slab for the chunk's messages (see processor.slab)
	done     chan struct{}

	end, lines, records int64  // the file's offset, lines and records after the chunk
	prefix              string // SHA-256 of the file up to end
	eof                 bool
	err                 error // a read error: the last chunk
}

// maxChunkRecords bounds the records of one chunk.
const maxChunkRecords = 512

// MaxBatchRecords is the most records one produced batch holds at the given
// BatchSize: a batch is sealed at the first chunk end at or past BatchSize
// records, and a chunk holds up to maxChunkRecords. It is so the most a
// crash between Kafka's acknowledgement and the checkpoint can make the
// next run produce again (5,511 at the default 5,000).
func MaxBatchRecords(batchSize int) int {
	return batchSize + min(batchSize, maxChunkRecords) - 1
}

// chunkBytes bounds the record bytes of one chunk.
const chunkBytes = 1 << 20

// Buffers are reused once the batch whose messages they hold has been
// acknowledged: a chunk's record bytes, records and outcomes, grown by
// append afresh for each, were a quarter of what ingest allocated, the
// slabs its messages were cut from and the batches' message slices
// another fifth. Pools, so that the next file and the next run reuse them
// too, and the collector may take them back when ingest is idle.
var (
	freeChunks chunks
	freeMsgs   sync.Pool // of *[]kafka.Message, empty
)

// chunks recycles chunks. Nothing a chunk holds is referenced once its
// batch has been produced (dead letters are copies).
type chunks struct{ p sync.Pool }

// get returns a recycled chunk, emptied, or a new one.
func (f *chunks) get() *chunk {
	if c, ok := f.p.Get().(*chunk); ok {
		*c = chunk{recs: c.recs[:0], buf: c.buf[:0], outcomes: c.outcomes[:0], slab: c.slab[:0], done: make(chan struct{})}
		return c
	}
	return &chunk{done: make(chan struct{})}
}

// put offers c for reuse.
func (f *chunks) put(c *chunk) { f.p.Put(c) }

// read converts records into batches and sends them, closing the channel
// at the end of the file, on a read error (sent as a batch) or when ctx ends.
//
// Three stages, so that decoding, validation, pseudonymisation and encoding
// use every core: this goroutine's reader cuts the file into chunks, a
// worker per core converts them, and an assembler takes them back in file
// order, drops ids already seen in the run and seals batches at chunk ends,
// where the reader noted the file's position and hash. Checkpoints so
// still name a prefix of the file whose every record is in Kafka.
func (r *run) read(ctx context.Context, rr *recordReader, p *processor, in input, skip int64, out chan<- *batch) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	workers := runtime.GOMAXPROCS(0)
	perChunk := min(r.cfg.BatchSize, maxChunkRecords)
	todo := make(chan *chunk, 2*workers)  // to the workers
	order := make(chan *chunk, 4*workers) // to the assembler, in file order
	for range workers {
		wp := *p // a worker's own processor
		wg.Go(func() {
			for c := range todo {
				if cap(c.outcomes) < len(c.recs) {
					c.outcomes = make([]outcome, len(c.recs))
				}
				c.outcomes = c.outcomes[:len(c.recs)]
				// The chunk's messages are cut from its own slab, so that
				// the slab is free again with the chunk; a new chunk's is
				// about the size of its records.
				if cap(c.slab) == 0 {
					c.slab = make([]byte, 0, len(c.buf)+len(c.buf)/2+8<<10)
				}
				wp.slab = c.slab[:0]
				for i, rec := range c.recs {
					switch {
					case rec.start < skip:
						c.outcomes[i] = outcome{verdict: resumed}
					case in.csv:
						c.outcomes[i] = wp.csvRow(rec)
					default:
						c.outcomes[i] = wp.ndjson(rec)
					}
				}
				c.slab, wp.slab = wp.slab, nil
				close(c.done)
			}
		})
	}
	wg.Go(func() {
		defer close(order)
		defer close(todo)
		r.cut(ctx, rr, in, perChunk, todo, order)
	})
	r.assemble(ctx, order, out)
}

// cut reads records into chunks and hands each to the assembler (first,
// so that it keeps file order) and to a worker.
func (r *run) cut(ctx context.Context, rr *recordReader, in input, perChunk int, todo, order chan<- *chunk) {
	send := func(c *chunk) bool {
		for _, ch := range []chan<- *chunk{order, todo} {
			select {
			case ch <- c:
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	var records int64
	c := freeChunks.get()
	for {
		rec, err := rr.next()
		if err != nil && !errors.Is(err, io.EOF) {
			c.err = fmt.Errorf("ingest %s line %d: read: %w", in.path, rr.lines+1, err)
			send(c)
			return
		}
		if err == nil {
			records++
			start := len(c.buf)
			c.buf = append(c.buf, rec.data...)
			rec.data = c.buf[start:len(c.buf):len(c.buf)]
			c.recs = append(c.recs, rec)
		}
		if eof := err != nil; eof || len(c.recs) >= perChunk || len(c.buf) >= chunkBytes {
			c.end, c.lines, c.records, c.eof = rr.off, rr.lines, records, eof
			c.prefix = hex.EncodeToString(rr.h.Sum(nil))
			if !send(c) || eof {
				return
			}
			c = freeChunks.get()
		}
	}
}

// assemble takes the converted chunks in file order into batches.
func (r *run) assemble(ctx context.Context, order <-chan *chunk, out chan<- *batch) {
	defer close(out)
	send := func(b *batch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	b := &batch{msgs: msgSlice(0)}
	for c := range order {
		if c.err != nil {
			send(&batch{err: c.err})
			return
		}
		select {
		case <-c.done:
		case <-ctx.Done():
			return
		}
		for i := range c.outcomes {
			o := &c.outcomes[i]
			b.read++
			if o.verdict == resumed {
				b.dups++
				b.skipped++
				continue
			}
			b.records++
			if o.verdict == ingested && !r.seen.add(o.eventID) {
				o.verdict = duplicate
			}
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
		}
		// Skipped records count too: a batch holds its chunks until it is
		// produced, and a file already ingested (or the prefix a resumed
		// one skips) would otherwise be one batch holding the whole file
		// (8.7 GB resident re-ingesting a national year's exports).
		seal := c.eof || b.records+b.skipped >= r.cfg.BatchSize || b.bytes >= maxPendingBytes
		if seal {
			b.end, b.lines, b.recordsEnd, b.prefix, b.eof = c.end, c.lines, c.records, c.prefix, c.eof
		}
		b.chunks = append(b.chunks, c) // the reader's again once b is produced
		if seal {
			// The next batch is likely the size of this one: room for
			// it at once, rather than growing by copies. (b is the
			// producer's once sent.)
			n, eof := len(b.msgs), b.eof
			if !send(b) || eof {
				return
			}
			b = &batch{msgs: msgSlice(n)}
		}
	}
}

// recycle gives a produced batch's chunks and message slice back, for the
// batches to come.
func recycle(b *batch) {
	for _, c := range b.chunks {
		freeChunks.put(c)
	}
	clear(b.msgs) // no hold on the slabs from here
	m := b.msgs[:0]
	freeMsgs.Put(&m)
}

// msgSlice returns an empty message slice with room for n, recycled when
// one is at hand.
func msgSlice(n int) []kafka.Message {
	if m, ok := freeMsgs.Get().(*[]kafka.Message); ok && cap(*m) >= n {
		return *m
	}
	return make([]kafka.Message, 0, n)
}

func inc(m *map[string]int64, k string) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[k]++
}
