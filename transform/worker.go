package transform

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/internal/failpoint"
	"github.com/evalpipe/evalpipe/lake"
	"github.com/segmentio/kafka-go"
)

// partition is one assigned topic partition.
type partition struct {
	topic string
	id    int
	fam   events.Family
	start int64 // where to resume: max(committed offset, the lake's next offset)
	hwm   int64 // high-water mark to reach in UntilCaughtUp mode; -1 otherwise
}

// worker consumes one partition for one generation. It holds at most one
// open lake file; the file's rows are a contiguous run of the partition's
// offsets, so the lake alone says where to resume.
type worker struct {
	r       *runner
	commits *committer
	p       partition
	sync    *genSync
	stats   Stats

	file      *lake.Writer
	fileDay   time.Time // UTC date of the open file's rows
	fileRows  int
	last      int64 // last offset consumed
	committed int64 // next offset committed to Kafka (or known to the lake)
	lastMsgAt time.Time
}

func (w *worker) log() []any { return []any{"topic", w.p.topic, "partition", w.p.id} }

// run consumes until the generation ends, ctx is cancelled, the partition
// catches up (UntilCaughtUp) or an error. Only a graceful stop or catching up
// commits the open file; anything else discards it.
func (w *worker) run(ctx, genCtx context.Context) (err error) {
	cfg := &w.r.cfg
	w.last, w.committed = w.p.start-1, w.p.start
	defer func() {
		if w.file != nil {
			w.file.Abort()
			w.file = nil
		}
	}()
	if _, err := lake.CleanPartitionTemp(cfg.Lake, w.p.fam, w.p.topic, w.p.id); err != nil {
		return fmt.Errorf("transform %s/%d: %w", w.p.topic, w.p.id, err)
	}

	// fetchCtx ends with the generation or with Run.
	fetchCtx, cancel := context.WithCancel(genCtx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()

	var reader *kafka.Reader
	defer func() {
		if reader != nil {
			reader.Close()
		}
	}()
	// idle ends when the partition has been quiet for IdleFlush; one
	// deadline context per quiet period, not one per message.
	var idle struct {
		ctx    context.Context
		cancel context.CancelFunc
	}
	defer func() {
		if idle.cancel != nil {
			idle.cancel()
		}
	}()
	refreshed := false

	for {
		// FetchMessage may keep returning queued messages after the
		// generation ended; stop promptly instead.
		if fetchCtx.Err() != nil {
			return w.stop(ctx)
		}
		if w.p.hwm >= 0 && w.last+1 >= w.p.hwm {
			if w.p.fam == events.DeadLetter && !refreshed {
				// Dead letters this process produces while catching up belong
				// to this run: once the family partitions are done, read to
				// the dead-letter topic's new end.
				select {
				case <-w.sync.famDone:
				case <-fetchCtx.Done():
					return w.stop(ctx)
				}
				refreshed = true
				hwm, err := w.r.latestOffset(fetchCtx, w.p.topic, w.p.id)
				if err != nil {
					return w.stop(ctx, err)
				}
				w.p.hwm = hwm
				continue
			}
			return w.caughtUp(ctx, genCtx)
		}
		if reader == nil {
			reader = w.newReader()
		}

		fetch := fetchCtx
		if w.dirty() {
			if idle.ctx == nil {
				idle.ctx, idle.cancel = context.WithDeadline(fetchCtx, w.lastMsgAt.Add(cfg.IdleFlush))
			}
			fetch = idle.ctx
		}
		msg, err := reader.FetchMessage(fetch)
		if err != nil {
			if fetchCtx.Err() != nil {
				return w.stop(ctx)
			}
			if fetch == idle.ctx && errors.Is(err, context.DeadlineExceeded) {
				idle.cancel()
				idle.ctx, idle.cancel = nil, nil
				if time.Since(w.lastMsgAt) >= cfg.IdleFlush {
					if err := w.flush(); err != nil {
						return err
					}
				}
				continue
			}
			return fmt.Errorf("transform: read %s/%d at offset %d: %w", w.p.topic, w.p.id, w.last+1, err)
		}
		w.lastMsgAt = time.Now()
		if err := w.handle(ctx, msg); err != nil {
			return err
		}
	}
}

// stop ends the worker when its context ended: a graceful stop (Run's ctx
// cancelled) commits the open file; the end of the generation discards it,
// because the partition may already be someone else's. errs, if any, are
// returned after the open file is discarded.
func (w *worker) stop(ctx context.Context, errs ...error) error {
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if ctx.Err() != nil {
		if err := w.flush(); err != nil {
			return err
		}
		w.commits.flush()
		return nil
	}
	return nil // rebalance: the deferred Abort discards the file
}

// caughtUp commits and then waits for the generation's other workers: the
// first function to return would end the generation for all of them.
func (w *worker) caughtUp(ctx, genCtx context.Context) error {
	if err := w.flush(); err != nil {
		return err
	}
	w.commits.flush()
	w.r.cfg.Logger.Debug("transform: caught up", append(w.log(), "offset", w.committed)...)
	w.sync.caughtUp(w.p.fam != events.DeadLetter)
	select {
	case <-w.sync.allCaught:
	case <-genCtx.Done():
	case <-ctx.Done():
	}
	return nil
}

func (w *worker) newReader() *kafka.Reader {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   w.r.cfg.Brokers,
		Topic:     w.p.topic,
		Partition: w.p.id,
		Dialer:    w.r.dialer,
		MinBytes:  1,
		MaxBytes:  10 << 20,
		MaxWait:   500 * time.Millisecond,
		// QueueCapacity: the default 100 is as fast as 1000 here (within
		// noise) and holds ~15 MiB less at peak with 21 partitions.
	})
	r.SetOffset(w.p.start)
	return r
}

// dirty reports whether anything consumed is not committed yet.
func (w *worker) dirty() bool { return w.file != nil || w.last+1 > w.committed }

// handle turns one message into a row of the open file, or a dead letter.
func (w *worker) handle(ctx context.Context, msg kafka.Message) error {
	w.stats.Messages++
	w.stats.Bytes += int64(len(msg.Key) + len(msg.Value))
	var (
		row any
		at  time.Time
	)
	if w.p.fam == events.DeadLetter {
		dl := deadLetterRow(w.p.topic, msg)
		row, at = dl, dl.KafkaTimestamp
	} else {
		// A canonical event always carries recorded_at; should one not,
		// stamp the Kafka timestamp rather than the clock, so that a replay
		// rewrites the same files.
		ev, err := events.Decode(msg.Value, events.DecodeOptions{Now: func() time.Time { return msg.Time }})
		if err == nil && ev.Family() != w.p.fam {
			err = &events.FieldError{Field: "type", Value: ev.Type, Code: events.CodeInconsistency,
				Why: fmt.Sprintf("belongs to family %s, not to topic %s", ev.Family(), w.p.topic)}
		}
		if err == nil {
			row, err = ev.RowAt(int32(w.p.id), msg.Offset, recordTime(msg, ev.RecordedAt))
		}
		if err != nil {
			if err := w.r.poison(ctx, w.p.topic, msg, err); err != nil {
				return err
			}
			w.stats.Poison++
			w.last = msg.Offset
			return nil
		}
		at = ev.RecordedAt
	}
	// Files are partitioned by the record's timestamp in the log (Kafka
	// Connect's record-time partitioning): it is stored with the message, so
	// a replay rewrites the same files, and it follows arrival order, so an
	// out-of-order backfill does not rotate a file on every message, as
	// partitioning by the events' own recorded_at did (one-row files by the
	// hundred thousand on a shuffled national backfill).
	day := recordTime(msg, at).UTC().Truncate(24 * time.Hour)
	if w.file != nil && !day.Equal(w.fileDay) {
		if err := w.flush(); err != nil {
			return err
		}
	}
	if w.file == nil {
		f, err := lake.Create(w.r.cfg.Lake, w.p.fam, day, w.p.topic, w.p.id, msg.Offset,
			lake.Options{RowGroupRows: w.r.cfg.RowGroupRows, BeforeRename: w.beforeRename})
		if err != nil {
			return w.lakeErr(err)
		}
		w.file, w.fileDay, w.fileRows = f, day, 0
	}
	if err := w.file.Write(row); err != nil {
		return w.lakeErr(fmt.Errorf("offset %d: %w", msg.Offset, err))
	}
	if err := failpoint.Inject("transform.write"); err != nil {
		return w.lakeErr(fmt.Errorf("offset %d: lake: write %s: %w", msg.Offset, w.file.Path(), err))
	}
	w.fileRows++
	w.last = msg.Offset
	if w.fileRows >= w.r.cfg.MaxFileRows {
		return w.flush()
	}
	return nil
}

// flush makes everything consumed durable: the open file is committed to
// the lake (through its last consumed offset, trailing dead-lettered ones
// included), then — only then — the offsets to Kafka.
func (w *worker) flush() error {
	cfg := &w.r.cfg
	if w.file != nil {
		f := w.file
		w.file = nil
		if err := f.Commit(w.last); err != nil {
			return w.lakeErr(err)
		}
		w.stats.Files++
		if w.p.fam == events.DeadLetter {
			w.stats.DeadLetters += int64(w.fileRows)
		}
		if w.stats.Rows == nil {
			w.stats.Rows = map[events.Family]int64{}
		}
		w.stats.Rows[w.p.fam] += int64(w.fileRows)
		cfg.Logger.Debug("transform: file committed", append(w.log(), "path", f.Path(), "rows", w.fileRows, "end_offset", w.last)...)
		if err := failpoint.Inject("transform.after_rename"); err != nil {
			return fmt.Errorf("transform %s/%d: after rename: %w", w.p.topic, w.p.id, err)
		}
		if h := cfg.Hooks.AfterRename; h != nil {
			if err := h(f.Path()); err != nil {
				return fmt.Errorf("transform %s/%d: after rename: %w", w.p.topic, w.p.id, err)
			}
		}
	}
	next := w.last + 1
	if next <= w.committed {
		return nil
	}
	if err := failpoint.Inject("transform.before_commit"); err != nil {
		return fmt.Errorf("transform %s/%d: before commit: %w", w.p.topic, w.p.id, err)
	}
	if h := cfg.Hooks.BeforeCommit; h != nil {
		if err := h(w.p.topic, w.p.id, next); err != nil {
			return fmt.Errorf("transform %s/%d: before commit: %w", w.p.topic, w.p.id, err)
		}
	}
	w.commits.post(w.p.topic, w.p.id, next)
	w.committed = next
	return nil
}

// beforeRename runs between a file's sync and its rename: the failpoint
// (EVALPIPE_FAILPOINT, for the fault tests of ../faults), then Hooks.BeforeRename.
func (w *worker) beforeRename(tmp string) error {
	if err := failpoint.Inject("transform.before_rename"); err != nil {
		return err
	}
	if h := w.r.cfg.Hooks.BeforeRename; h != nil {
		return h(tmp)
	}
	return nil
}

// lakeErr says what a failed lake write means to whoever runs transform: the
// file (named in err) was discarded and no offset after the last committed
// file was committed, so fixing the disk and running again loses nothing.
func (w *worker) lakeErr(err error) error {
	return fmt.Errorf("transform %s/%d: writing the lake failed and the file was discarded; offsets from %d on were not committed, so free space on (or fix) the disk of %s and run transform again: it resumes from the last file in the lake: %w",
		w.p.topic, w.p.id, w.committed, w.r.cfg.Lake, err)
}

// recordTime is the message's Kafka timestamp, or fallback when the log
// has none (message format v0).
func recordTime(msg kafka.Message, fallback time.Time) time.Time {
	if msg.Time.IsZero() || msg.Time.Unix() <= 0 {
		return fallback
	}
	return msg.Time
}
