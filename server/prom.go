package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series, on their own registry so that
// two servers in one process (tests) do not collide.
type metrics struct {
	reg           *prometheus.Registry
	ingestLines   *prometheus.CounterVec // source, outcome
	lakeRows      prometheus.Gauge
	lakeFiles     prometheus.Gauge
	deadLetters   prometheus.Gauge
	refreshes     *prometheus.CounterVec // outcome
	refreshTime   prometheus.Histogram
	savedAt       prometheus.Gauge
	saveFailures  prometheus.Counter
	reportRuns    *prometheus.CounterVec // outcome
	queries       *prometheus.CounterVec // status
	queryDuration prometheus.Histogram
	consumerLag   prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		ingestLines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evalpipe_ingest_lines_total", Help: "Input lines by source (push, inbox, api) and outcome (ingested, dead_lettered, duplicate).",
		}, []string{"source", "outcome"}),
		lakeRows:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "evalpipe_lake_rows", Help: "Event rows in the lake at the last warehouse refresh (the transformer's output)."}),
		lakeFiles:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "evalpipe_lake_files", Help: "Committed Parquet files in the lake at the last refresh."}),
		deadLetters: prometheus.NewGauge(prometheus.GaugeOpts{Name: "evalpipe_lake_dead_letters", Help: "Dead-letter rows in the lake at the last refresh."}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evalpipe_warehouse_refreshes_total", Help: "Warehouse re-opens after the lake changed, by outcome.",
		}, []string{"outcome"}),
		refreshTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "evalpipe_warehouse_refresh_duration_seconds", Help: "Time to re-open the warehouse after the lake changed (updating, or building, and saving when due); how late new data reaches the API beyond the transformer's idle flush.",
			Buckets: prometheus.ExponentialBuckets(0.25, 2, 11), // 0.25 s to 256 s: a national year's whole build is about a minute
		}),
		savedAt: prometheus.NewGauge(prometheus.GaugeOpts{Name: "evalpipe_warehouse_saved_timestamp_seconds", Help: "When a refresh last saved the warehouse build to DATA/warehouse (or found the saved build was the lake's), Unix time; 0 before any. Refreshes update from that build."}),
		saveFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "evalpipe_warehouse_save_failures_total", Help: "Refreshes whose save of the warehouse build failed (a full or unwritable DATA/warehouse: see the log). The next try is --save-every later.",
		}),
		reportRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evalpipe_report_runs_total", Help: "Scheduled report runs by outcome.",
		}, []string{"outcome"}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evalpipe_queries_total", Help: "/api/query requests by HTTP status.",
		}, []string{"status"}),
		queryDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "evalpipe_query_duration_seconds", Help: "Time to answer /api/query.", Buckets: prometheus.DefBuckets,
		}),
		consumerLag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "evalpipe_transform_consumer_lag", Help: "Messages in Kafka not yet committed by the transformer, summed over partitions (sampled at refresh)."}),
	}
	m.reg.MustRegister(m.ingestLines, m.lakeRows, m.lakeFiles, m.deadLetters, m.refreshes, m.refreshTime, m.savedAt, m.saveFailures, m.reportRuns,
		m.queries, m.queryDuration, m.consumerLag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
