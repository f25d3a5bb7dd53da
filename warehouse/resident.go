package warehouse

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/evalpipe/evalpipe/internal/procstatus"
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
		if v, ok := procstatus.KiB(b, "VmRSS:"); ok {
			attrs = append(attrs, "rss_mib", v>>10)
		}
		if v, ok := procstatus.KiB(b, "VmHWM:"); ok {
			attrs = append(attrs, "peak_mib", v>>10)
		}
	}
	var pool int64
	if err := w.db.QueryRowContext(ctx, "SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory()").Scan(&pool); err == nil {
		attrs = append(attrs, "duckdb_mib", pool>>20)
	}
	return attrs
}

// queried is deferred by each report query, to run after its rows are
// closed: what the query freed goes back to the system before the next one
// (allocator.go), and --verbose logs the query's time and the memory.
func (w *Warehouse) queried(ctx context.Context, start time.Time, msg string, attrs ...any) {
	purgeAllocator()
	w.debug(ctx, msg, append(attrs, "took", time.Since(start).Round(time.Millisecond))...)
}

// debug logs msg with attrs and, at debug level, the memory figures.
func (w *Warehouse) debug(ctx context.Context, msg string, attrs ...any) {
	l := w.cfg.Logger
	if l == nil || !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	l.Debug(msg, append(attrs, w.memoryAttrs(ctx)...)...)
}

// info logs at Info level when the Config has a logger.
func (w *Warehouse) info(msg string, args ...any) {
	if w.cfg.Logger != nil {
		w.cfg.Logger.Info(msg, args...)
	}
}

// warn logs at Warn level when the Config has a logger.
func (w *Warehouse) warn(msg string, args ...any) {
	if w.cfg.Logger != nil {
		w.cfg.Logger.Warn(msg, args...)
	}
}
