package warehouse

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strconv"
)

// memoryAttrs describes the process's memory for the --verbose build log:
// resident now and at its peak (Linux's VmRSS and VmHWM), and what DuckDB's
// buffer manager holds (duckdb_memory()), which memory_limit bounds. The
// gap between the two is what DuckDB and Go allocate outside the buffer
// pool, and the allocator keeps. Where /proc is absent the process figures
// are left out.
func (w *Warehouse) memoryAttrs(ctx context.Context) []any {
	var attrs []any
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		if v, ok := statusMiB(b, "VmRSS:"); ok {
			attrs = append(attrs, "rss_mib", v)
		}
		if v, ok := statusMiB(b, "VmHWM:"); ok {
			attrs = append(attrs, "peak_mib", v)
		}
	}
	var pool int64
	if err := w.db.QueryRowContext(ctx, "SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory()").Scan(&pool); err == nil {
		attrs = append(attrs, "duckdb_mib", pool>>20)
	}
	return attrs
}

// statusMiB reads one "Name:   N kB" line of /proc/self/status, in MiB.
func statusMiB(status []byte, name string) (int64, bool) {
	i := bytes.Index(status, []byte(name))
	if i < 0 {
		return 0, false
	}
	line := status[i+len(name):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte("kB")))), 10, 64)
	if err != nil {
		return 0, false
	}
	return kb >> 10, true
}

// debug logs msg with attrs and, at debug level, the memory figures.
func (w *Warehouse) debug(ctx context.Context, msg string, attrs ...any) {
	l := w.cfg.Logger
	if l == nil || !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	l.Debug(msg, append(attrs, w.memoryAttrs(ctx)...)...)
}
