package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/evalpipe/evalpipe/reports"
	"github.com/evalpipe/evalpipe/warehouse"
)

// resultCache keeps disclosure-controlled results per snapshot, period and
// service: computing the catalogue takes a while, and it only changes when
// the lake does (reset on every refresh).
type resultCache struct {
	mu sync.Mutex
	m  map[string]*warehouse.Result
}

func (c *resultCache) reset() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

func (c *resultCache) get(k string) *warehouse.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *resultCache) put(k string, r *warehouse.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 64 {
		c.m = map[string]*warehouse.Result{}
	}
	c.m[k] = r
}

// metricResponse is one metric, disclosure-controlled, in CLI.md's value
// shape.
type metricResponse struct {
	Metric     warehouse.Metric                      `json:"metric"`
	Period     warehouse.Period                      `json:"period"`
	Service    string                                `json:"service"`
	Disclosure string                                `json:"disclosure"`
	Value      warehouse.Value                       `json:"value"`
	Breakdowns map[string]map[string]warehouse.Value `json:"breakdowns,omitempty"`
	Series     []warehouse.SeriesPoint               `json:"series,omitempty"`
	Provenance warehouse.Provenance                  `json:"provenance"`
}

// metricAPI is GET /api/metrics/{id}?from=YYYY-MM&to=YYYY-MM&service=ID.
// The default period is the 12 months ending with the month of the latest referral.
func (s *Server) metricAPI(w http.ResponseWriter, r *http.Request, rq *request) int {
	id := r.PathValue("id")
	var meta *warehouse.Metric
	for _, m := range warehouse.Catalogue() {
		if m.ID == id {
			meta = &m
			break
		}
	}
	if meta == nil {
		return jsonError(w, http.StatusNotFound, fmt.Sprintf("no metric %q; GET /api/metrics lists none, see `evalpipe metrics` for the catalogue", id))
	}
	snap, release := s.snaps.acquire()
	defer release()
	if snap == nil {
		return jsonError(w, http.StatusServiceUnavailable, "the warehouse is not open yet")
	}
	// The metrics are the server's own SQL, computed once per period and
	// cached: bounded, but not by the evaluators' per-query limit, which a
	// full result can exceed on a busy machine.
	ctx, cancel := context.WithTimeout(r.Context(), max(s.cfg.QueryTimeout, metricTimeout))
	defer cancel()
	res, err := s.result(ctx, snap, r.URL.Query().Get("from"), r.URL.Query().Get("to"), r.URL.Query().Get("service"))
	var bad *badRequest
	switch {
	case errors.As(err, &bad):
		return jsonError(w, http.StatusBadRequest, bad.msg)
	case errors.Is(err, errNoData):
		return jsonError(w, http.StatusNotFound, "no data yet: the lake has no referrals")
	case err != nil:
		rq.errMsg = err.Error()
		return jsonError(w, http.StatusInternalServerError, err.Error())
	}
	pol, err := reports.PolicyByName(s.cfg.Disclosure)
	if err != nil {
		return jsonError(w, http.StatusInternalServerError, err.Error())
	}
	res = pol.Apply(res, snap.w.Catalogue())
	rq.rows = 1
	return writeJSON(w, http.StatusOK, metricResponse{
		Metric: *meta, Period: res.Period, Service: res.Service, Disclosure: s.cfg.Disclosure,
		Value: res.Metrics[id], Breakdowns: res.Breakdowns[id], Series: res.Series[id], Provenance: res.Provenance,
	})
}

type badRequest struct{ msg string }

func (b *badRequest) Error() string { return b.msg }

// result computes (or finds) the talking-therapies result for a period,
// before disclosure control: callers apply it.
// metricTimeout is the least time /api/metrics gives a result.
const metricTimeout = time.Minute

func (s *Server) result(ctx context.Context, snap *snapshot, from, to, service string) (*warehouse.Result, error) {
	for name, v := range map[string]string{"from": from, "to": to} {
		if _, err := time.Parse("2006-01", v); v != "" && err != nil {
			return nil, &badRequest{fmt.Sprintf("%s=%q: want a month YYYY-MM", name, v)}
		}
	}
	if from == "" || to == "" {
		last, err := lastMonth(ctx, snap.w)
		if err != nil {
			return nil, err
		}
		if to == "" {
			to = last.Format("2006-01")
		}
		if from == "" {
			t, _ := time.Parse("2006-01", to)
			from = t.AddDate(0, -11, 0).Format("2006-01")
		}
	}
	p, err := warehouse.ParsePeriod(from, to)
	if err != nil {
		return nil, &badRequest{err.Error()}
	}
	key := snap.fp + "|" + from + "|" + to + "|" + service
	if res := s.metricsCache.get(key); res != nil {
		return res, nil
	}
	res, err := snap.w.TalkingTherapies(ctx, p, service)
	if err != nil {
		return nil, err
	}
	s.metricsCache.put(key, res)
	return res, nil
}
