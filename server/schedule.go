package server

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/evalpipe/evalpipe/reports"
)

// scheduledReport writes the KPI report for the 12 months ending with the
// latest month of data into DATA/reports/<UTC timestamp>/, under the
// server's disclosure policy, and logs what it wrote.
func (s *Server) scheduledReport(ctx context.Context) {
	s.reportMu.Lock() // a slow run is not overlapped by the next tick
	defer s.reportMu.Unlock()
	files, err := s.WriteReport(ctx, time.Now())
	if err != nil {
		s.m.reportRuns.WithLabelValues("error").Inc()
		s.log.Error("scheduled report failed", "err", err)
		return
	}
	s.m.reportRuns.WithLabelValues("ok").Inc()
	s.log.Info("scheduled report written", "files", files)
}

// WriteReport writes the KPI report now, as the schedule does.
func (s *Server) WriteReport(ctx context.Context, now time.Time) ([]string, error) {
	snap, release := s.snaps.acquire()
	defer release()
	if snap == nil {
		return nil, fmt.Errorf("report: the warehouse is not open yet")
	}
	res, err := s.result(ctx, snap, "", "", "")
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	dir := filepath.Join(s.cfg.reportsDir(), now.UTC().Format("20060102T150405Z"))
	return reports.WriteKPI(res, snap.w.Catalogue(), s.cfg.Disclosure, dir)
}
