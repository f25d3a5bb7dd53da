package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/kafkaconf"
)

// Resolve finds the Kafka a command should use, in this order:
//
//  1. k.Brokers, when set (no embedded broker);
//  2. the broker already running on dataDir: its ADDR file names an address
//     that answers and its lock is held;
//  3. a broker started in this process on 127.0.0.1:0 for the caller's
//     lifetime: stop closes it (stop is never nil; it does nothing in the
//     first two cases).
//
// Then it makes sure every topic of k exists with k.Partitions partitions.
// k must have been validated.
func Resolve(ctx context.Context, dataDir string, k *kafkaconf.Config) (brokers []string, stop func() error, err error) {
	stop = func() error { return nil }
	tr, err := k.Transport()
	if err != nil {
		return nil, nil, fmt.Errorf("broker: resolve: %w", err)
	}
	partitions := k.Partitions
	if partitions == 0 {
		partitions = 3
	}
	switch {
	case len(k.Brokers) > 0:
		brokers = k.Brokers
	default:
		if addr, ok := running(ctx, dataDir); ok {
			brokers = []string{addr}
			break
		}
		b, err := Start(ctx, Config{DataDir: dataDir, Partitions: partitions})
		if errors.Is(err, ErrInUse) {
			// Another process is starting a broker on dataDir right now:
			// wait for its ADDR.
			addr, werr := waitRunning(ctx, dataDir, 10*time.Second)
			if werr != nil {
				return nil, nil, fmt.Errorf("broker: resolve %s: %w (%w)", dataDir, werr, err)
			}
			brokers = []string{addr}
			break
		}
		if err != nil {
			return nil, nil, err
		}
		brokers, stop = b.Addrs(), b.Close
	}
	if len(k.Brokers) == 0 {
		tr = nil // the embedded broker speaks plaintext whatever k says
	} else if err := checkAuth(ctx, k); err != nil {
		return nil, nil, err
	}
	if err := EnsureTopics(ctx, brokers, tr, k.Topics(), partitions); err != nil {
		stop()
		return nil, nil, err
	}
	return brokers, stop, nil
}

// checkAuth connects to the cluster once with k's dialer. kafka-go's admin
// client reports a failed TLS or SASL handshake as "Broker Not Available",
// which sends users looking at the network; the dialer returns the real
// cause (e.g. SASL Authentication Failed), so say that first.
func checkAuth(ctx context.Context, k *kafkaconf.Config) error {
	d, err := k.Dialer()
	if err != nil {
		return fmt.Errorf("broker: resolve: %w", err)
	}
	var errs []error
	for _, b := range k.Brokers {
		conn, err := d.DialContext(ctx, "tcp", b)
		if err == nil {
			conn.Close()
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("kafka: cannot connect to any of %s (check kafka.tls, ca_file, sasl_mechanism, sasl_user and the password): %w",
		strings.Join(k.Brokers, ","), errors.Join(errs...))
}

// running returns the address of the live broker on dataDir, if any: its
// ADDR file exists, the address accepts a TCP connection and the lock is
// held (a stale ADDR left by a killed broker whose port was reused by
// something else fails the last test).
func running(ctx context.Context, dataDir string) (string, bool) {
	addr, err := readAddr(dataDir)
	if err != nil || addr == "" {
		return "", false
	}
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", false
	}
	conn.Close()
	return addr, lockHeld(dataDir)
}

func lockHeld(dataDir string) bool {
	f, err := os.OpenFile(filepath.Join(dataDir, LockFile), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := tryLock(f); err != nil {
		return errors.Is(err, errLockHeld)
	}
	unlock(f)
	return false
}

func waitRunning(ctx context.Context, dataDir string, limit time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if addr, ok := running(ctx, dataDir); ok {
			return addr, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no broker answered at %s within %s", filepath.Join(dataDir, AddrFile), limit)
		case <-tick.C:
		}
	}
}
