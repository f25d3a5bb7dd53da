package transform

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/kafkaconf"
)

// Config says what to consume and where the lake is.
type Config struct {
	// Kafka names the topics and says how to connect (TLS, SASL). Required.
	// Validate validates it too.
	Kafka *kafkaconf.Config
	// Brokers are the bootstrap servers to use, typically from
	// broker.Resolve. Default Kafka.Brokers; one of the two is required.
	Brokers []string
	// Lake is the root folder of the lake. Required.
	Lake string
	// GroupID is the consumer group. Default "evalpipe-transform".
	GroupID string
	// MaxFileRows rotates a partition's file after this many rows.
	// Default 200000.
	MaxFileRows int
	// IdleFlush commits a partition's open file once no message has arrived
	// for this long. Default 5s.
	IdleFlush time.Duration
	// UntilCaughtUp makes Run return once every partition it was assigned
	// has reached the high-water mark it had when first assigned (and the
	// dead letters this process produced are in the lake too). Default
	// false: run until ctx is cancelled.
	UntilCaughtUp bool
	// RowGroupRows bounds the rows buffered per file before a row group is
	// written out. Default 16384 (lake.Options' default).
	RowGroupRows int
	// Logger receives progress and warnings. Default slog.Default().
	Logger *slog.Logger
	// Hooks inject faults in tests. Default none.
	Hooks Hooks
}

// Hooks are called at the points where a crash matters. A hook that returns
// an error makes Run fail there, as a crash would (minus the process exit).
type Hooks struct {
	// BeforeRename runs after a file's temporary copy is synced, before it
	// is renamed into the lake.
	BeforeRename func(tmp string) error
	// AfterRename runs once a file is durable in the lake, before its
	// offsets are committed to Kafka.
	AfterRename func(path string) error
	// BeforeCommit runs before offsets are committed to Kafka; next is the
	// offset committed (the last consumed one plus one).
	BeforeCommit func(topic string, partition int, next int64) error
}

// Validate applies the defaults above and checks the settings.
func (c *Config) Validate() error {
	if c.Kafka == nil {
		return errors.New("transform: Kafka config is required")
	}
	if err := c.Kafka.Validate(); err != nil {
		return fmt.Errorf("transform: %w", err)
	}
	if len(c.Brokers) == 0 {
		c.Brokers = c.Kafka.Brokers
	}
	if len(c.Brokers) == 0 {
		return errors.New("transform: no brokers: set Brokers (see broker.Resolve) or Kafka.Brokers")
	}
	if c.Lake == "" {
		return errors.New("transform: Lake is required")
	}
	if c.GroupID == "" {
		c.GroupID = "evalpipe-transform"
	}
	if c.MaxFileRows == 0 {
		c.MaxFileRows = 200000
	}
	if c.MaxFileRows < 1 {
		return fmt.Errorf("transform: MaxFileRows = %d: want at least 1", c.MaxFileRows)
	}
	if c.IdleFlush == 0 {
		c.IdleFlush = 5 * time.Second
	}
	if c.IdleFlush < 0 {
		return fmt.Errorf("transform: IdleFlush = %s: want a positive duration", c.IdleFlush)
	}
	if c.RowGroupRows < 0 {
		return fmt.Errorf("transform: RowGroupRows = %d: want 0 (default) or more", c.RowGroupRows)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Stats counts what a Run did, like kafka-go's ReaderStats: a plain value.
type Stats struct {
	// Messages consumed, from every topic including the dead-letter topic.
	Messages int64
	// Bytes of message keys and values consumed.
	Bytes int64
	// Rows written to the lake per family (dead-letter rows under
	// events.DeadLetter), counting only files that were committed.
	Rows map[events.Family]int64
	// Files committed to the lake.
	Files int64
	// DeadLetters is the number of rows written to lake/deadletter.
	DeadLetters int64
	// Poison messages: family-topic messages that failed to decode, sent to
	// the dead-letter topic.
	Poison int64
}

func (s *Stats) add(o Stats) {
	s.Messages += o.Messages
	s.Bytes += o.Bytes
	s.Files += o.Files
	s.DeadLetters += o.DeadLetters
	s.Poison += o.Poison
	if len(o.Rows) > 0 && s.Rows == nil {
		s.Rows = map[events.Family]int64{}
	}
	for f, n := range o.Rows {
		s.Rows[f] += n
	}
}

// TotalRows is the sum of Rows.
func (s Stats) TotalRows() int64 {
	var n int64
	for v := range maps.Values(s.Rows) {
		n += v
	}
	return n
}
