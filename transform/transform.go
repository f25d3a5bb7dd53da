package transform

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/lake"
	"github.com/segmentio/kafka-go"
)

// Run consumes every topic of cfg.Kafka in consumer group cfg.GroupID and
// writes each assigned partition's events to the lake, exactly once. It
// returns when ctx is cancelled (after committing what it holds: a graceful
// stop is not an error), when it has caught up in UntilCaughtUp mode, or on
// the first error (after discarding uncommitted files: a rerun resumes from
// the lake). Stats count what this call did.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	dialer, err := cfg.Kafka.Dialer()
	if err != nil {
		return Stats{}, fmt.Errorf("transform: %w", err)
	}
	transport, err := cfg.Kafka.Transport()
	if err != nil {
		return Stats{}, fmt.Errorf("transform: %w", err)
	}
	defer transport.CloseIdleConnections()
	r := &runner{
		cfg:    cfg,
		dialer: dialer,
		client: &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: transport, Timeout: 10 * time.Second},
		dlq: &kafka.Writer{
			Addr:         kafka.TCP(cfg.Brokers...),
			Topic:        cfg.Kafka.Topic(events.DeadLetter),
			Balancer:     &kafka.Hash{},
			RequiredAcks: kafka.RequireAll,
			// Each poison message is written synchronously before its offset
			// can be committed: flush at once rather than wait to fill a batch.
			BatchSize: 1,
			Transport: transport,
		},
		hwm: map[topicPartition]int64{},
	}
	defer r.dlq.Close()

	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                cfg.GroupID,
		Brokers:           cfg.Brokers,
		Dialer:            dialer,
		Topics:            cfg.Kafka.Topics(),
		StartOffset:       kafka.FirstOffset,
		HeartbeatInterval: time.Second,
		SessionTimeout:    10 * time.Second,
		RebalanceTimeout:  10 * time.Second,
		JoinGroupBackoff:  time.Second,
	})
	if err != nil {
		return Stats{}, fmt.Errorf("transform: consumer group %s: %w", cfg.GroupID, err)
	}
	defer group.Close()

	failures := 0
	for {
		gen, err := group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				return r.stats, nil
			}
			// kafka-go reports each failed join (e.g. a rebalance in
			// progress when another member joins) and retries after
			// JoinGroupBackoff; give up only when it keeps failing.
			if failures++; failures < maxJoinFailures {
				cfg.Logger.Warn("transform: join group, retrying", "group", cfg.GroupID, "err", err)
				continue
			}
			return r.stats, fmt.Errorf("transform: join group %s (%d attempts): %w", cfg.GroupID, failures, err)
		}
		failures = 0
		done, err := r.generation(ctx, gen)
		if err != nil {
			return r.stats, err
		}
		if done || ctx.Err() != nil {
			return r.stats, nil
		}
		cfg.Logger.Info("transform: partitions revoked, rejoining", "group", cfg.GroupID, "generation", gen.ID)
	}
}

// maxJoinFailures is how many consecutive failed joins Run tolerates.
const maxJoinFailures = 10

type topicPartition struct {
	topic     string
	partition int
}

// runner is the state of one Run shared by its partition workers.
type runner struct {
	cfg    Config
	dialer *kafka.Dialer
	client *kafka.Client
	dlq    *kafka.Writer

	mu    sync.Mutex
	stats Stats
	hwm   map[topicPartition]int64 // high-water marks when first assigned (UntilCaughtUp)
}

// genSync lets the partition workers of one generation wait for each other:
// kafka-go ends a generation as soon as any of its functions returns, so a
// worker that has caught up must wait for the others before returning.
type genSync struct {
	pending    atomic.Int64 // workers not yet caught up
	allCaught  chan struct{}
	famPending atomic.Int64 // family-topic workers not yet caught up
	famDone    chan struct{}
}

func (s *genSync) caughtUp(isFamily bool) {
	if isFamily && s.famPending.Add(-1) == 0 {
		close(s.famDone)
	}
	if s.pending.Add(-1) == 0 {
		close(s.allCaught)
	}
}

// generation runs one worker per assigned partition until the generation
// ends. done reports that every partition caught up (UntilCaughtUp).
func (r *runner) generation(ctx context.Context, gen *kafka.Generation) (done bool, err error) {
	next, err := lake.NextOffsets(r.cfg.Lake)
	if err != nil {
		return false, fmt.Errorf("transform: read lake offsets: %w", err)
	}
	var parts []partition
	for topic, assigned := range gen.Assignments {
		fam, ok := r.cfg.Kafka.FamilyOf(topic)
		if !ok {
			return false, fmt.Errorf("transform: assigned topic %s is not an evalpipe topic", topic)
		}
		for _, a := range assigned {
			start := max(a.Offset, 0, next[topic][a.ID]) // a.Offset < 0: nothing committed yet
			parts = append(parts, partition{topic: topic, id: a.ID, fam: fam, start: start, hwm: -1})
		}
	}
	slices.SortFunc(parts, func(a, b partition) int {
		if a.topic != b.topic {
			return strings.Compare(a.topic, b.topic)
		}
		return a.id - b.id
	})
	r.cfg.Logger.Info("transform: generation", "group", r.cfg.GroupID, "generation", gen.ID, "partitions", len(parts))
	if r.cfg.UntilCaughtUp {
		if len(parts) == 0 {
			return true, nil // other members hold every partition
		}
		if err := r.highWaterMarks(ctx, parts); err != nil {
			return false, err
		}
	}

	gs := &genSync{allCaught: make(chan struct{}), famDone: make(chan struct{})}
	gs.pending.Store(int64(len(parts)))
	for _, p := range parts {
		if p.fam != events.DeadLetter {
			gs.famPending.Add(1)
		}
	}
	if gs.famPending.Load() == 0 {
		close(gs.famDone)
	}

	commits := newCommitter(gen, r.cfg.Logger)
	defer commits.stop()
	var wg sync.WaitGroup
	errs := make([]error, len(parts))
	for i := range parts {
		wg.Add(1)
		gen.Start(func(genCtx context.Context) {
			defer wg.Done()
			w := &worker{r: r, commits: commits, p: parts[i], sync: gs}
			errs[i] = w.run(ctx, genCtx)
			r.mu.Lock()
			r.stats.add(w.stats)
			r.mu.Unlock()
		})
	}
	if len(parts) == 0 {
		// Hold the generation until it ends or we are stopped.
		wg.Add(1)
		gen.Start(func(genCtx context.Context) {
			defer wg.Done()
			select {
			case <-ctx.Done():
			case <-genCtx.Done():
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	return r.cfg.UntilCaughtUp && len(parts) > 0 && gs.pending.Load() == 0, nil
}

// highWaterMarks fills in each partition's high-water mark: the one recorded
// when this Run first saw the partition, so that a rebalance does not move
// the finish line.
func (r *runner) highWaterMarks(ctx context.Context, parts []partition) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		if _, ok := r.hwm[topicPartition{p.topic, p.id}]; !ok {
			req.Topics[p.topic] = append(req.Topics[p.topic], kafka.LastOffsetOf(p.id))
		}
	}
	if len(req.Topics) > 0 {
		got, err := r.listOffsets(ctx, req)
		if err != nil {
			return err
		}
		for tp, off := range got {
			r.hwm[tp] = off
		}
	}
	for i := range parts {
		parts[i].hwm = r.hwm[topicPartition{parts[i].topic, parts[i].id}]
	}
	return nil
}

// listOffsets returns the high-water mark of each partition asked for.
func (r *runner) listOffsets(ctx context.Context, req *kafka.ListOffsetsRequest) (map[topicPartition]int64, error) {
	resp, err := r.client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("transform: list high-water marks: %w", err)
	}
	out := map[topicPartition]int64{}
	for topic, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return nil, fmt.Errorf("transform: high-water mark of %s/%d: %w", topic, p.Partition, p.Error)
			}
			out[topicPartition{topic, p.Partition}] = p.LastOffset
		}
	}
	return out, nil
}

// latestOffset is a partition's current high-water mark.
func (r *runner) latestOffset(ctx context.Context, topic string, id int) (int64, error) {
	got, err := r.listOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(id)}}})
	if err != nil {
		return 0, err
	}
	off, ok := got[topicPartition{topic, id}]
	if !ok {
		return 0, fmt.Errorf("transform: no high-water mark returned for %s/%d", topic, id)
	}
	return off, nil
}
