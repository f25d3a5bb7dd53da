// Package lake is the layout and the durable writer of the Parquet lake.
//
// Layout, in the conventions of Kafka Connect's storage sinks:
//
//	<root>/<family>/date=YYYY-MM-DD/<topic>+<partition>+<startOffset>.parquet
//
// date is the UTC date of the rows' Kafka record timestamp (when they were
// published: deterministic on replay, and in arrival order, so files stay
// large whatever the order of the events' own times); startOffset is the Kafka
// offset of the file's first row, zero-padded to 19 digits so names sort in
// offset order. Each file holds a contiguous run of one partition's offsets;
// its key-value metadata records the run (evalpipe.start_offset,
// evalpipe.end_offset), so a restarted transformer resumes after the last
// file in the lake whatever Kafka's committed offsets say.
//
// A file is written under a temporary name beginning with "." (which no
// reader's *.parquet glob matches), fsynced, renamed into place and the
// directory fsynced: a reader sees a whole file or none.
package lake

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/parquet-go/parquet-go"
)

// Metadata keys written into every lake file.
const (
	MetaTopic       = "evalpipe.topic"
	MetaPartition   = "evalpipe.partition"
	MetaStartOffset = "evalpipe.start_offset"
	MetaEndOffset   = "evalpipe.end_offset" // inclusive
	MetaRows        = "evalpipe.rows"
)

// tempPrefix marks a file being written.
const tempPrefix = "."

// FileName is the lake name of a file starting at offset start.
func FileName(topic string, partition int, start int64) string {
	return fmt.Sprintf("%s+%d+%019d.parquet", topic, partition, start)
}

// ParseFileName splits a lake file name into topic, partition and start offset.
func ParseFileName(name string) (topic string, partition int, start int64, ok bool) {
	base, found := strings.CutSuffix(filepath.Base(name), ".parquet")
	if !found {
		return "", 0, 0, false
	}
	parts := strings.Split(base, "+")
	if len(parts) != 3 {
		return "", 0, 0, false
	}
	p, err1 := strconv.Atoi(parts[1])
	s, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || parts[0] == "" {
		return "", 0, 0, false
	}
	return parts[0], p, s, true
}

// Dir is the folder of a family's files for one date.
func Dir(root string, fam events.Family, date time.Time) string {
	return filepath.Join(root, string(fam), "date="+date.UTC().Format(time.DateOnly))
}

// Glob is the pattern of every file of a family, for readers such as DuckDB.
func Glob(root string, fam events.Family) string {
	return filepath.Join(root, string(fam), "date=*", "*.parquet")
}

// Options tune a Writer.
type Options struct {
	// RowGroupRows cuts a row group after this many rows, bounding the rows
	// held in memory. Default 16384.
	RowGroupRows int
	// BeforeRename, when set, runs after the temporary file is synced and
	// before it is renamed: a hook for fault-injection tests.
	BeforeRename func(tmp string) error
}

// Writer streams one family's rows into one lake file.
type Writer struct {
	final, tmp string
	f          *os.File
	w          rowWriter
	rows       int64
	opt        Options
	meta       map[string]string
}

// Create starts a lake file for rows of family fam from topic/partition,
// beginning at offset start. Rows must be pointers to the family's row type.
func Create(root string, fam events.Family, date time.Time, topic string, partition int, start int64, opt Options) (*Writer, error) {
	rt, err := events.RowType(fam)
	if err != nil {
		return nil, err
	}
	if opt.RowGroupRows <= 0 {
		opt.RowGroupRows = 16384
	}
	dir := Dir(root, fam, date)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lake: create %s: %w", dir, err)
	}
	name := FileName(topic, partition, start)
	lw := &Writer{final: filepath.Join(dir, name), tmp: filepath.Join(dir, tempPrefix+name+".tmp"), opt: opt}
	lw.f, err = os.OpenFile(lw.tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lake: %w", err)
	}
	lw.w = newRowWriter(fam, lw.f, rt, parquet.Compression(&parquet.Snappy), parquet.CreatedBy("evalpipe", "1", ""))
	lw.meta = map[string]string{MetaTopic: topic, MetaPartition: strconv.Itoa(partition), MetaStartOffset: strconv.FormatInt(start, 10)}
	return lw, nil
}

// Write appends one row: a pointer to the family's row type. Rows are
// handed to the Parquet writer in small batches, so a write error may be
// reported by a later Write or by Commit.
func (lw *Writer) Write(row any) error {
	if err := lw.w.add(row); err != nil {
		return fmt.Errorf("lake: write %s: %w", lw.final, err)
	}
	lw.rows++
	if lw.rows%int64(lw.opt.RowGroupRows) == 0 {
		if err := lw.w.flush(); err != nil {
			return fmt.Errorf("lake: flush row group %s: %w", lw.final, err)
		}
	}
	return nil
}

// Rows is the number of rows written so far.
func (lw *Writer) Rows() int64 { return lw.rows }

// Path is where the file will be once committed.
func (lw *Writer) Path() string { return lw.final }

// Commit finishes the file with its end offset (inclusive), syncs it, renames
// it into place and syncs the directory. After Commit returns nil the file is
// durable; only then may the caller commit offsets to Kafka.
func (lw *Writer) Commit(endOffset int64) error {
	lw.meta[MetaEndOffset] = strconv.FormatInt(endOffset, 10)
	lw.meta[MetaRows] = strconv.FormatInt(lw.rows, 10)
	err := lw.w.close(sortedMeta(lw.meta))
	if err == nil {
		err = lw.f.Sync()
	}
	if cerr := lw.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && lw.opt.BeforeRename != nil {
		err = lw.opt.BeforeRename(lw.tmp)
	}
	if err == nil {
		err = os.Rename(lw.tmp, lw.final)
	}
	if err == nil {
		err = syncDir(filepath.Dir(lw.final))
	}
	if err != nil {
		os.Remove(lw.tmp)
		return fmt.Errorf("lake: commit %s: %w", lw.final, err)
	}
	return nil
}

// Abort discards the file.
func (lw *Writer) Abort() {
	lw.f.Close()
	os.Remove(lw.tmp)
}

// rowWriter is a typed Parquet writer of one family's rows.
type rowWriter interface {
	add(row any) error // buffer one row (a pointer to the row type)
	flush() error      // write the buffer and end the row group
	close(meta func(func(string, string) bool)) error
}

// typedWriter writes rows of type T through parquet.GenericWriter[T],
// whose column writers are compiled for T once, instead of deconstructing
// every row by reflection as the untyped parquet.Writer does.
type typedWriter[T any] struct {
	w   *parquet.GenericWriter[T]
	buf []T
}

// writeBatch is how many rows typedWriter buffers before writing them.
const writeBatch = 256

func newTyped[T any](f *os.File, opts ...parquet.WriterOption) rowWriter {
	// The schema is the one parquet.SchemaOf gives the row type, as before.
	opts = append(opts, parquet.SchemaOf(new(T)))
	return &typedWriter[T]{w: parquet.NewGenericWriter[T](f, opts...), buf: make([]T, 0, writeBatch)}
}

func (t *typedWriter[T]) add(row any) error {
	p, ok := row.(*T)
	if !ok {
		return fmt.Errorf("row of type %T, want %T", row, (*T)(nil))
	}
	t.buf = append(t.buf, *p)
	if len(t.buf) == cap(t.buf) {
		return t.write()
	}
	return nil
}

func (t *typedWriter[T]) write() error {
	if len(t.buf) == 0 {
		return nil
	}
	_, err := t.w.Write(t.buf)
	clear(t.buf) // drop references to the rows' strings
	t.buf = t.buf[:0]
	return err
}

func (t *typedWriter[T]) flush() error {
	if err := t.write(); err != nil {
		return err
	}
	return t.w.Flush()
}

func (t *typedWriter[T]) close(meta func(func(string, string) bool)) error {
	if err := t.write(); err != nil {
		return err
	}
	for k, v := range meta {
		t.w.SetKeyValueMetadata(k, v)
	}
	return t.w.Close()
}

// newRowWriter returns the typed writer of family fam's row type rt.
func newRowWriter(fam events.Family, f *os.File, rt reflect.Type, opts ...parquet.WriterOption) rowWriter {
	switch fam {
	case events.Referrals:
		return newTyped[events.ReferralRow](f, opts...)
	case events.Sessions:
		return newTyped[events.SessionRow](f, opts...)
	case events.Outcomes:
		return newTyped[events.OutcomeRow](f, opts...)
	case events.Feedback:
		return newTyped[events.FeedbackRow](f, opts...)
	case events.Crisis:
		return newTyped[events.CrisisRow](f, opts...)
	case events.Programme:
		return newTyped[events.ProgrammeRow](f, opts...)
	case events.DeadLetter:
		return newTyped[events.DeadLetterRow](f, opts...)
	}
	panic(fmt.Sprintf("lake: no writer for family %q (row type %s)", fam, rt))
}

func sortedMeta(m map[string]string) func(func(string, string) bool) {
	return func(yield func(string, string) bool) {
		for _, k := range []string{MetaTopic, MetaPartition, MetaStartOffset, MetaEndOffset, MetaRows} {
			if v, ok := m[k]; ok && !yield(k, v) {
				return
			}
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// FileInfo is what the lake knows of one committed file.
type FileInfo struct {
	Path                   string
	Topic                  string
	Partition              int
	StartOffset, EndOffset int64
	Rows                   int64
	Size                   int64 // bytes
}

// Fingerprint is "sha256:" and the hex SHA-256 of files' paths relative to
// root, with forward slashes, and sizes ("path\tsize\n" lines, sorted): it
// changes when a file is committed, replaced or removed. The warehouse
// keys its saved builds by it; the server re-opens the warehouse when it
// changes.
func Fingerprint(root string, files []FileInfo) (string, error) {
	lines := make([]string, 0, len(files))
	for _, f := range files {
		rel, err := filepath.Rel(root, f.Path)
		if err != nil {
			return "", err
		}
		lines = append(lines, fmt.Sprintf("%s\t%d\n", filepath.ToSlash(rel), f.Size))
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Files lists every committed file under root (all families).
func Files(root string) ([]FileInfo, error) {
	var out []FileInfo
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		topic, part, start, ok := ParseFileName(d.Name())
		if !ok {
			return nil
		}
		fi := FileInfo{Path: path, Topic: topic, Partition: part, StartOffset: start}
		if err := readMeta(path, &fi); err != nil {
			return fmt.Errorf("lake: %s: %w", path, err)
		}
		out = append(out, fi)
		return nil
	})
	return out, err
}

func readMeta(path string, fi *FileInfo) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	fi.Size = st.Size()
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return err
	}
	end, ok := pf.Lookup(MetaEndOffset)
	if !ok {
		return errors.New("no " + MetaEndOffset + " metadata: not written by evalpipe")
	}
	if fi.EndOffset, err = strconv.ParseInt(end, 10, 64); err != nil {
		return err
	}
	fi.Rows = pf.NumRows()
	return nil
}

// NextOffsets returns, per topic and partition, the offset after the last
// one the lake holds: where a transformer must resume.
func NextOffsets(root string) (map[string]map[int]int64, error) {
	files, err := Files(root)
	if err != nil {
		return nil, err
	}
	out := map[string]map[int]int64{}
	for _, f := range files {
		if out[f.Topic] == nil {
			out[f.Topic] = map[int]int64{}
		}
		if next := f.EndOffset + 1; next > out[f.Topic][f.Partition] {
			out[f.Topic][f.Partition] = next
		}
	}
	return out, nil
}

// CleanTemp removes temporary files a crash left behind, returning how many.
func CleanTemp(root string) (int, error) {
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), tempPrefix) && strings.HasSuffix(d.Name(), ".tmp") {
			if err := os.Remove(path); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// CleanPartitionTemp removes the temporary files of one topic partition, in
// every date folder of its family, returning how many. Unlike CleanTemp it is
// safe while other processes write other partitions to the same lake: a
// transformer calls it when it is assigned the partition, when any temporary
// file of that partition can only be a crashed writer's leftover.
func CleanPartitionTemp(root string, fam events.Family, topic string, partition int) (int, error) {
	pattern := filepath.Join(root, string(fam), "date=*", tempPrefix+fmt.Sprintf("%s+%d+", topic, partition)+"*.parquet.tmp")
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return 0, fmt.Errorf("lake: clean temp %s: %w", pattern, err)
	}
	n := 0
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("lake: clean temp: %w", err)
		}
		n++
	}
	return n, nil
}
