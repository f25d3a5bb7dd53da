package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Files the broker keeps in its data directory besides kfake's log.
const (
	// LockFile is flocked for as long as a broker runs on the directory.
	LockFile = "lock"
	// AddrFile holds the listen address of the running broker, so that
	// other commands on the same --data find it instead of starting another.
	AddrFile = "ADDR"
	// logDir is where kfake keeps the log and the groups' committed offsets.
	logDir = "log"
	// segmentBytes is the size at which a partition's log rolls to a new
	// segment file (Kafka's log.segment.bytes; kfake's default is 100 MiB).
	// A starting broker reads every partition at once, each a whole
	// segment file at a time: with 100 MiB segments the national year's
	// log (3.8 GB) peaked at 1.9 GiB while loading, with these at 0.5 GiB.
	// Segments already written keep their size; new ones roll at this.
	segmentBytes = 16 << 20
)

// ErrInUse is returned by Start when another broker (in this process or
// another) already owns the data directory.
var ErrInUse = errors.New("data directory in use by another broker")

var errLockHeld = errors.New("lock held")

// Config says where the embedded broker keeps its log and where it listens.
type Config struct {
	// DataDir holds the log, the consumer groups' committed offsets, the lock
	// and the ADDR file. Required; typically DATA/broker.
	DataDir string
	// Listen is the host:port to listen on. Default "127.0.0.1:0" (any free
	// port on the loopback interface).
	Listen string
	// Partitions is the partition count of the topics created at start.
	// Default 3.
	Partitions int
	// Topics are created at start when missing. Default none.
	Topics []string
	// Logger receives the broker's lifecycle messages. Default slog.Default().
	Logger *slog.Logger
}

// Validate applies the defaults and checks the settings.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("broker: DataDir is required")
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("broker: listen address %q: want host:port, e.g. 127.0.0.1:9092: %w", c.Listen, err)
	}
	if c.Partitions == 0 {
		c.Partitions = 3
	}
	if c.Partitions < 1 {
		return fmt.Errorf("broker: partitions = %d: want at least 1", c.Partitions)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Broker is an embedded, single-node, Kafka-protocol broker whose log and
// consumer-group offsets live on disk: franz-go's kfake with a data
// directory. Any Kafka client (kafka-go, franz-go, kcat) can talk to it.
//
//	b, err := broker.Start(ctx, broker.Config{DataDir: "data/broker", Topics: k.Topics()})
//	if err != nil { ... }
//	defer b.Close()
//	brokers := b.Addrs()
type Broker struct {
	cluster *kfake.Cluster
	lock    *os.File
	dir     string
	addrs   []string
	log     *slog.Logger

	closeOnce sync.Once
	closeErr  error
}

// Start opens (or creates) the log in cfg.DataDir and starts listening. It
// fails with ErrInUse when another broker owns the directory: use that one
// (its address is in DataDir/ADDR) instead.
func Start(ctx context.Context, cfg Config) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("broker: create data directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(cfg.DataDir, LockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("broker: open lock file: %w", err)
	}
	if err := tryLock(lock); err != nil {
		lock.Close()
		if errors.Is(err, errLockHeld) {
			addr, _ := readAddr(cfg.DataDir)
			if addr == "" {
				addr = "(see " + filepath.Join(cfg.DataDir, AddrFile) + ")"
			}
			return nil, fmt.Errorf("broker: start on %s: %w, listening on %s; use that broker (--brokers %s) or stop it first",
				cfg.DataDir, ErrInUse, addr, addr)
		}
		return nil, fmt.Errorf("broker: lock %s: %w", cfg.DataDir, err)
	}
	b := &Broker{lock: lock, dir: cfg.DataDir, log: cfg.Logger}
	fail := func(err error) (*Broker, error) {
		if b.cluster != nil {
			b.cluster.Close()
		}
		unlock(lock)
		lock.Close()
		return nil, err
	}

	listen := cfg.Listen
	b.cluster, err = kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.DataDir(filepath.Join(cfg.DataDir, logDir)),
		kfake.DefaultNumPartitions(cfg.Partitions),
		kfake.BrokerConfigs(map[string]string{"log.segment.bytes": strconv.Itoa(segmentBytes)}),
		// kfake always listens on 127.0.0.1; honour the configured host too.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, listen) }),
	)
	if err != nil {
		return fail(fmt.Errorf("broker: start kfake on %s: %w", cfg.DataDir, err))
	}
	b.addrs = b.cluster.ListenAddrs()
	if err := EnsureTopics(ctx, b.addrs, nil, cfg.Topics, cfg.Partitions); err != nil {
		return fail(err)
	}
	if err := writeAddr(cfg.DataDir, b.addrs[0]); err != nil {
		return fail(err)
	}
	b.log.Info("broker started", "addr", b.addrs[0], "data", cfg.DataDir)
	return b, nil
}

// Addrs are the addresses clients should bootstrap from.
func (b *Broker) Addrs() []string { return append([]string(nil), b.addrs...) }

// Close stops listening, flushes the log and the groups' offsets to disk,
// removes the ADDR file and releases the lock. Safe to call more than once.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		if err := os.Remove(filepath.Join(b.dir, AddrFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			b.closeErr = fmt.Errorf("broker: remove ADDR: %w", err)
		}
		b.cluster.Close() // saves state to disk; logs (does not return) its errors
		// Let the collector have the cluster's in-memory state (its index
		// of a national year's log is hundreds of MiB) while the caller
		// goes on, as `evalpipe run` does to build the warehouse.
		b.cluster = nil
		if err := unlock(b.lock); err != nil && b.closeErr == nil {
			b.closeErr = fmt.Errorf("broker: unlock: %w", err)
		}
		b.lock.Close()
		b.log.Info("broker stopped", "data", b.dir)
	})
	return b.closeErr
}

func readAddr(dir string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, AddrFile))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(raw)), nil
}

// writeAddr replaces ADDR atomically, so a reader never sees half an address.
func writeAddr(dir, addr string) error {
	tmp := filepath.Join(dir, "."+AddrFile+".tmp")
	if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644); err != nil {
		return fmt.Errorf("broker: write ADDR: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, AddrFile)); err != nil {
		return fmt.Errorf("broker: write ADDR: %w", err)
	}
	return nil
}

// EnsureTopics creates the topics that do not exist yet with the given
// partition count (replication: the cluster's default). Topics that already
// exist are left as they are, whatever their partition count. transport may
// be nil (plaintext, no SASL).
func EnsureTopics(ctx context.Context, brokers []string, transport *kafka.Transport, topics []string, partitions int) error {
	if len(topics) == 0 {
		return nil
	}
	var rt kafka.RoundTripper = kafka.DefaultTransport
	if transport != nil {
		rt = transport
	}
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: rt, Timeout: 10 * time.Second}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: -1})
	}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("broker: create topics on %s: %w", strings.Join(brokers, ","), err)
	}
	var errs []error
	for t, e := range resp.Errors {
		if e != nil && !errors.Is(e, kafka.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("broker: create topic %s: %w", t, e))
		}
	}
	return errors.Join(errs...)
}
