package transform

import (
	"log/slog"
	"sync"

	"github.com/segmentio/kafka-go"
)

// committer commits a generation's offsets to Kafka in the background, one
// request for every partition that moved, rather than one synchronous round
// trip per file: kafka-go serialises the requests of a generation on one
// coordinator connection, and 21 workers each waiting their turn spent most
// of a run there (see README.md, "Performance").
//
// Offsets are posted only after the files that hold them are durable, so
// the order "lake first, then Kafka" still holds; a lost or late commit is
// harmless because the lake, not the group, says where to resume.
type committer struct {
	gen *kafka.Generation
	log *slog.Logger

	mu      sync.Mutex // guards pending
	pending map[string]map[int]int64

	commitMu sync.Mutex // one commit at a time, so offsets never go backwards
	kick     chan struct{}
	done     chan struct{}
	stopped  chan struct{}
}

func newCommitter(gen *kafka.Generation, log *slog.Logger) *committer {
	c := &committer{gen: gen, log: log, pending: map[string]map[int]int64{},
		kick: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go c.loop()
	return c
}

// post records that everything before next in topic/partition is in the lake.
func (c *committer) post(topic string, partition int, next int64) {
	c.mu.Lock()
	if c.pending[topic] == nil {
		c.pending[topic] = map[int]int64{}
	}
	c.pending[topic][partition] = next
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// flush commits whatever is pending now and waits for the answer. Workers
// call it before they return, while the generation is still theirs.
func (c *committer) flush() {
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	c.mu.Lock()
	offsets := c.pending
	c.pending = map[string]map[int]int64{}
	c.mu.Unlock()
	if len(offsets) == 0 {
		return
	}
	if err := c.gen.CommitOffsets(offsets); err != nil {
		c.log.Warn("transform: commit offsets", "generation", c.gen.ID, "err", err)
	}
}

func (c *committer) loop() {
	defer close(c.stopped)
	for {
		select {
		case <-c.done:
			return
		case <-c.kick:
			c.flush()
		}
	}
}

// stop ends the background loop; offsets still pending are dropped (the
// generation is over, and the lake has them).
func (c *committer) stop() {
	close(c.done)
	<-c.stopped
}
