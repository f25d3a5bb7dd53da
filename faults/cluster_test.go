//go:build faults

package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/internal/testca"
)

// TestClusterBinary runs the evalpipe binary the way the README's "Running
// on a Kafka cluster" says to: a config file whose kafka: section names
// three brokers with TLS (a private CA's file) and SASL/SCRAM, the password
// in EVALPIPE_SASL_PASSWORD, and one `evalpipe transform` process per
// machine. The cluster is three kfake brokers on loopback; three transform
// processes share its partitions, `evalpipe ingest` feeds them, and every
// event is in the lake exactly once with a clean run's KPIs. A wrong
// password fails ingest with the handshake's error. (transform's
// TestScaleOut runs the same setup in one process, through the packages.)
func TestClusterBinary(t *testing.T) {
	t.Parallel()
	ref := clean(t, small)
	dir := t.TempDir()
	addrs, caFile := testca.Cluster(t, dir)
	config := filepath.Join(dir, "evalpipe.yaml")
	yaml := fmt.Sprintf("kafka:\n  brokers: [%s]\n  tls: true\n  ca_file: %s\n  sasl_mechanism: scram-sha-256\n  sasl_user: %s\n  partitions: 3\n",
		strings.Join(addrs, ", "), caFile, testca.User)
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"EVALPIPE_CONFIG=" + config, "EVALPIPE_SASL_PASSWORD=" + testca.Password}

	// A wrong password: ingest fails at once, naming the handshake.
	_, errOut, err := evalpipeErr(t, t.TempDir(), []string{"EVALPIPE_CONFIG=" + config, "EVALPIPE_SASL_PASSWORD=wrong"}, "ingest", small)
	if err == nil || !strings.Contains(errOut, "SASL Authentication Failed") {
		t.Fatalf("ingest with a wrong password: %v; want a SASL error, stderr:\n%.2000s", err, errOut)
	}

	// Three transforms on one lake, as three machines would write to one
	// shared folder; they join before any event is produced, so that no
	// one of them can take every partition and drain it alone.
	data := t.TempDir()
	var procs []*proc
	for range 3 {
		procs = append(procs, start(t, data, env, "transform", "--max-file-rows", "100"))
	}
	waitFor(t, 2*time.Minute, "the three transforms to share the 21 partitions", func() bool {
		sum, gen0 := 0, -2
		for i, p := range procs {
			gen, n := lastGeneration(p.Stderr())
			if n <= 0 || (i > 0 && gen != gen0) {
				return false
			}
			gen0, sum = gen, sum+n
		}
		return sum == 21
	})
	for i, p := range procs {
		_, n := lastGeneration(p.Stderr())
		t.Logf("transform %d holds %d partitions", i, n)
	}
	out, errOut, err := evalpipeErr(t, data, env, "ingest", small)
	if err != nil {
		t.Fatalf("ingest through TLS and SCRAM: %v\n%.2000s", err, errOut)
	}
	if got := ingestedOf(t, out); got != ref.ingested {
		t.Fatalf("ingested %d, clean run %d", got, ref.ingested)
	}
	waitFor(t, 90*time.Second, "the transforms to write every event", func() bool {
		return queryInts(t, data, "SELECT count(DISTINCT event_id) FROM lake_events")[0] == ref.ingested
	})
	for i, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if ok, err := p.exited(30 * time.Second); !ok || err != nil {
			t.Fatalf("transform %d on SIGTERM: exited %v, %v\n%s", i, ok, err, p.Stderr())
		}
	}
	checkExactlyOnce(t, data, ref)
}
