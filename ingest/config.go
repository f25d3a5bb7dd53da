package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/kafkaconf"
)

// DefaultBatchSize is the number of input records per produce batch (and so
// per checkpoint) when Config.BatchSize is zero.
const DefaultBatchSize = 5000

// MaxLineBytes is the longest NDJSON line or CSV record read. A longer one is
// dead-lettered (clipped) and reading goes on at the next line.
const MaxLineBytes = 1 << 20

// Config says where ingest publishes and where it keeps its checkpoints.
//
//	cfg := ingest.Config{Kafka: kc, Brokers: kc.Brokers, Pseudonymiser: p, StateDir: "data/ingest"}
//	sum, err := ingest.Ingest(ctx, cfg, "exports/")
type Config struct {
	// Kafka names the topics and supplies TLS/SASL. Required.
	Kafka *kafkaconf.Config
	// Brokers are the resolved bootstrap addresses (host:port). Required.
	Brokers []string
	// Pseudonymiser replaces NHS numbers and local ids by pseudonyms.
	// Required: without it every identified event would be dead-lettered.
	Pseudonymiser *events.Pseudonymiser
	// StateDir holds the checkpoints, e.g. DATA/ingest. Required; created
	// when missing.
	StateDir string
	// Mapping is the CSV mapping file used for X.csv when no X.mapping.yaml
	// sits beside it. Default none: such a CSV is an error.
	Mapping string
	// BatchSize is the number of input records per produce batch; a batch is
	// acknowledged by Kafka before its lines are checkpointed. Default 5000.
	BatchSize int
	// Logger receives per-file notices. Default slog.Default().
	Logger *slog.Logger
	// Progress, when set, is called after every acknowledged batch (so about
	// every BatchSize lines) with the running totals.
	Progress func(Progress)
	// Now stamps recorded_at on events that lack it, and dead letters.
	// Default time.Now.
	Now func() time.Time
}

// Progress is reported during long runs.
type Progress struct {
	File    string // the file being read
	Line    int64  // the last physical line acknowledged in File
	Totals  Summary
	Elapsed time.Duration
}

// Validate applies the defaults and checks the settings, naming the field to fix.
func (c *Config) Validate() error {
	if c.Kafka == nil {
		return errors.New("ingest config: Kafka is required (topic names, TLS, SASL)")
	}
	if err := c.Kafka.Validate(); err != nil {
		return fmt.Errorf("ingest config: %w", err)
	}
	if len(c.Brokers) == 0 {
		return errors.New("ingest config: Brokers is empty; give the bootstrap servers (host:port) or start the embedded broker")
	}
	if c.Pseudonymiser == nil {
		return errors.New("ingest config: Pseudonymiser is required; load a key with events.LoadKey")
	}
	if c.StateDir == "" {
		return errors.New("ingest config: StateDir is required (where checkpoints live, e.g. DATA/ingest)")
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchSize < 1 || c.BatchSize > 1_000_000 {
		return fmt.Errorf("ingest config: BatchSize = %d: want 1-1000000", c.BatchSize)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}
