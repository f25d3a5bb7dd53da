package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evalpipe/evalpipe/ingest"
	"github.com/evalpipe/evalpipe/transform"
	"github.com/evalpipe/evalpipe/warehouse"
)

// Server is a running `evalpipe serve`. Build it with New and run it with
// Run; Handler serves its HTTP API (for tests with httptest).
type Server struct {
	cfg    Config
	log    *slog.Logger
	tokens *Tokens
	audit  *Audit
	m      *metrics
	snaps  snapshots
	pusher *ingest.Pusher

	draining     atomic.Bool // shutting down: refuse pushes
	transformUp  atomic.Bool
	metricsCache resultCache
	lastSave     time.Time // when a refresh last tried to save its build (or found it saved); refresh only
	reportMu     sync.Mutex
	mux          *http.ServeMux
}

// New checks cfg, opens the token store and the audit log, and creates the
// first admin token when there is none, printing it once to cfg.Stdout.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, m: newMetrics()}
	var err error
	if s.tokens, err = OpenTokens(TokensPath(cfg.Data)); err != nil {
		return nil, err
	}
	if s.tokens.Empty() {
		secret, err := s.tokens.Add("admin", RoleAdmin)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(cfg.Stdout, "admin token (shown once; only its hash is kept in %s):\n%s\n", TokensPath(cfg.Data), secret)
	}
	if s.audit, err = OpenAudit(AuditPath(cfg.Data)); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// Handler is the HTTP API.
func (s *Server) Handler() http.Handler { return s.mux }

// Run serves until ctx ends, then shuts down in order: sources (in-flight
// batches finish), the report scheduler, the transformer (it commits the
// files it has written), the HTTP server (in-flight requests finish), and
// last the warehouse. Nothing acknowledged to a source is lost: Kafka holds
// what the lake does not yet.
func (s *Server) Run(ctx context.Context) error {
	defer s.audit.Close()
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("server: listen %s: %w", s.cfg.Listen, err)
	}
	if s.pusher, err = ingest.NewPusher(ctx, s.cfg.Ingest); err != nil {
		ln.Close()
		return err
	}
	defer s.pusher.Close()

	// The first snapshot, so that /readyz can say yes before any data.
	if err := s.refresh(ctx); err != nil {
		ln.Close()
		return err
	}

	hs := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	httpDone := make(chan error, 1)
	go func() { httpDone <- hs.Serve(ln) }()
	fmt.Fprintf(s.cfg.Stdout, "evalpipe serve: listening on http://%s\n", ln.Addr())
	s.log.Info("serving", "addr", ln.Addr().String(), "inbox", s.cfg.Inbox, "poll", s.cfg.PollURL, "schedules", len(s.cfg.Schedules))

	// Sources.
	srcCtx, stopSources := context.WithCancel(ctx)
	defer stopSources()
	var sources sync.WaitGroup
	inbox := &ingest.Inbox{Dir: s.cfg.Inbox, Config: s.cfg.Ingest, Interval: s.cfg.InboxEvery,
		OnFile: func(_ string, sum ingest.Summary, _ error) { s.countIngest("inbox", sum) }}
	sources.Go(func() {
		if err := inbox.Run(srcCtx); err != nil {
			s.log.Error("inbox stopped", "err", err)
		}
	})
	if s.cfg.PollURL != "" {
		p := &ingest.Poller{URL: s.cfg.PollURL, Config: s.cfg.Ingest, Interval: s.cfg.PollEvery,
			OnPage: func(sum ingest.Summary) { s.countIngest("api", sum) }}
		sources.Go(func() { _ = p.Run(srcCtx) })
	}

	// The transformer, continuously.
	tCtx, stopTransform := context.WithCancel(context.WithoutCancel(ctx))
	defer stopTransform()
	transformDone := make(chan struct{})
	go func() {
		defer close(transformDone)
		s.transformUp.Store(true)
		defer s.transformUp.Store(false)
		for {
			st, err := transform.Run(tCtx, s.cfg.Transform)
			if tCtx.Err() != nil {
				s.log.Info("transform stopped", "rows", st.TotalRows(), "files", st.Files)
				return
			}
			s.log.Error("transform failed; restarting in 5s", "err", err)
			select {
			case <-tCtx.Done():
				return
			case <-time.After(5 * time.Second):
			}
		}
	}()

	// The warehouse, refreshed when the lake changes.
	rCtx, stopRefresh := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRefresh()
	refreshDone := make(chan struct{})
	go func() {
		defer close(refreshDone)
		// The wait starts when a check ends, not on a ticker's beat: a
		// refresh longer than --refresh-every is not followed at once by
		// another, and consecutive refreshes are at least that far apart,
		// so a --save-every no longer than it saves on every one.
		t := time.NewTimer(s.cfg.RefreshEvery)
		defer t.Stop()
		for {
			select {
			case <-rCtx.Done():
				return
			case <-t.C:
				if err := s.refresh(rCtx); err != nil && rCtx.Err() == nil {
					s.log.Warn("warehouse refresh failed; keeping the previous snapshot", "err", err)
				}
				t.Reset(s.cfg.RefreshEvery)
			}
		}
	}()

	// The transformer's consumer lag, sampled for /metrics.
	lagCtx, stopLag := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLag()
	lagDone := make(chan struct{})
	go func() {
		defer close(lagDone)
		s.watchLag(lagCtx, s.cfg.LagEvery)
	}()

	// Reports on their schedules.
	sched, err := s.startSchedules(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-httpDone:
		runErr = fmt.Errorf("server: http: %w", err)
	}
	s.log.Info("shutting down: stopping sources")
	s.draining.Store(true)
	stopSources()
	sources.Wait()
	<-sched.Stop().Done()
	s.log.Info("shutting down: stopping the transformer")
	stopTransform()
	<-transformDone
	stopRefresh()
	<-refreshDone
	stopLag()
	<-lagDone
	s.log.Info("shutting down: closing the HTTP server")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && runErr == nil {
		runErr = fmt.Errorf("server: shutdown: %w", err)
	}
	s.snaps.close()
	s.log.Info("stopped")
	return runErr
}

// refresh re-opens the warehouse when the lake's fingerprint changed.
func (s *Server) refresh(ctx context.Context) error {
	fp, err := lakeFingerprint(s.cfg.Warehouse.Lake)
	if err != nil {
		return fmt.Errorf("server: lake: %w", err)
	}
	if fp == s.snaps.fingerprint() {
		return nil
	}
	wc := s.cfg.Warehouse
	wc.Save = wc.Save && (s.lastSave.IsZero() || time.Since(s.lastSave) >= s.cfg.SaveEvery)
	start := time.Now()
	snap, err := s.openSnapshot(ctx, fp, wc)
	if err != nil {
		s.m.refreshes.WithLabelValues("error").Inc()
		return err
	}
	if c, err := snap.w.LakeCounts(ctx); err == nil {
		s.m.lakeRows.Set(float64(c.LakeRows))
		s.m.deadLetters.Set(float64(c.DeadLetters))
	}
	s.m.lakeFiles.Set(float64(snap.w.Provenance().LakeFiles))
	if wc.Save && wc.SaveDir != "" {
		// A failed save (DATA/warehouse full or unwritable; the warehouse
		// logged why) waits --save-every like a good one: each try copies
		// or writes the whole build, too much to repeat on every refresh.
		s.lastSave = time.Now()
		if snap.w.Saved() != "" { // saved now, or the saved build was this lake's
			s.m.savedAt.Set(float64(s.lastSave.Unix()))
		} else {
			s.m.saveFailures.Inc()
		}
	}
	s.m.refreshTime.Observe(time.Since(start).Seconds())
	s.snaps.swap(snap)
	s.metricsCache.reset()
	s.m.refreshes.WithLabelValues("ok").Inc()
	s.log.Debug("warehouse refreshed", "lake", fp)
	return nil
}

func (s *Server) countIngest(source string, sum ingest.Summary) {
	s.m.ingestLines.WithLabelValues(source, ingest.StatusIngested).Add(float64(sum.Ingested))
	s.m.ingestLines.WithLabelValues(source, ingest.StatusDeadLettered).Add(float64(sum.DeadLettered))
	s.m.ingestLines.WithLabelValues(source, ingest.StatusDuplicate).Add(float64(sum.Duplicates))
}

// ready says whether the server can answer: broker reached (the pusher
// connected), the transformer running, a warehouse open.
func (s *Server) ready() error {
	switch {
	case s.pusher == nil:
		return errors.New("not connected to Kafka yet")
	case !s.transformUp.Load():
		return errors.New("the transformer is not running")
	case s.snaps.fingerprint() == "" && !s.hasSnapshot():
		return errors.New("no warehouse open yet")
	case s.draining.Load():
		return errors.New("shutting down")
	}
	return nil
}

func (s *Server) hasSnapshot() bool {
	snap, release := s.snaps.acquire()
	defer release()
	return snap != nil
}

// lastMonth is the latest month with referrals, for default periods.
func lastMonth(ctx context.Context, w *warehouse.Warehouse) (time.Time, error) {
	_, rows, err := w.Query(ctx, "SELECT strftime(max(received_date), '%Y-%m') FROM referrals")
	if err != nil {
		return time.Time{}, err
	}
	if len(rows) == 0 || rows[0][0] == nil {
		return time.Time{}, errNoData
	}
	return time.Parse("2006-01", fmt.Sprint(rows[0][0]))
}

var errNoData = errors.New("the lake has no referrals yet")
