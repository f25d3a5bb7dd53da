package server

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evalpipe/evalpipe/ingest"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// cookieName holds a token for browsers, set by /signin.
const cookieName = "evalpipe_token"

// request is what a handler knows about an authenticated request; handlers
// fill SQL and Rows for the audit log.
type request struct {
	tok    Token
	sql    string
	rows   int64
	errMsg string
}

// handler is an authenticated handler; it returns the status it wrote.
type handler func(w http.ResponseWriter, r *http.Request, rq *request) int

func (s *Server) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /signin", s.signinForm)
	mux.HandleFunc("POST /signin", s.signin)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/reports/", http.StatusSeeOther)
	})
	mux.Handle("GET /reports/", s.auth(RoleCommissioner, s.reportsPage))
	mux.Handle("GET /api/metrics/{id}", s.auth(RoleCommissioner, s.metricAPI))
	mux.Handle("POST /api/query", s.auth(RoleEvaluator, s.queryAPI))
	mux.Handle("POST /v1/events", s.auth(RoleAdmin, s.pushAPI))
	s.mux = mux
}

// auth admits a request whose bearer token (or cookie) has at least role
// need: no or an unknown token is 401, too small a role is 403, both with
// no data. Every request through it is audited.
func (s *Server) auth(need string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := ""
		if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
			secret = strings.TrimSpace(strings.TrimPrefix(a, "Bearer "))
		} else if c, err := r.Cookie(cookieName); err == nil {
			secret = c.Value
		}
		rq := &request{}
		status := 0
		tok, ok := s.tokens.Lookup(secret)
		switch {
		case !ok && wantsHTML(r):
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			status = http.StatusSeeOther
		case !ok:
			w.Header().Set("WWW-Authenticate", `Bearer realm="evalpipe"`)
			status = jsonError(w, http.StatusUnauthorized, "a valid token is required: Authorization: Bearer <token>")
		case !allows(tok.Role, need):
			rq.tok = tok
			status = jsonError(w, http.StatusForbidden, fmt.Sprintf("role %s may not use %s (needs %s)", tok.Role, r.URL.Path, need))
		default:
			rq.tok = tok
			status = h(w, r, rq)
		}
		err := s.audit.Log(AuditEntry{Who: rq.tok.Name, Role: rq.tok.Role, Method: r.Method, Route: r.URL.Path + query(r),
			SQL: rq.sql, Rows: rq.rows, Status: status, Error: rq.errMsg})
		if err != nil {
			s.log.Error("audit log", "err", err)
		}
	})
}

func query(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

func wantsHTML(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// jsonError writes {"error": msg} with status and returns the status.
func jsonError(w http.ResponseWriter, status int, msg string) int {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
	return status
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	return status
}

var signinTmpl = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>evalpipe: sign in</title></head>
<body><h1>Sign in</h1>{{if .}}<p role="alert">{{.}}</p>{{end}}
<form method="post" action="/signin"><label>Token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Sign in</button></form></body></html>`))

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	signinTmpl.Execute(w, "")
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	secret := strings.TrimSpace(r.PostFormValue("token"))
	tok, ok := s.tokens.Lookup(secret)
	s.audit.Log(AuditEntry{Who: tok.Name, Role: tok.Role, Method: r.Method, Route: "/signin", Status: map[bool]int{true: 303, false: 401}[ok]})
	if !ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		signinTmpl.Execute(w, "That token is not known.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 12 * 3600})
	http.Redirect(w, r, "/reports/", http.StatusSeeOther)
}

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>evalpipe reports</title></head>
<body><h1>Reports</h1><p>Signed in as {{.Who}} ({{.Role}}).</p>
{{if not .Runs}}<p>No report has been written yet.</p>{{end}}
<ul>{{range .Runs}}<li>{{.Name}}: {{range .Files}}<a href="/reports/{{$.Prefix}}{{.}}">{{.}}</a> {{end}}</li>{{end}}</ul>
</body></html>`))

type reportRun struct {
	Name  string
	Files []string
}

// reportsPage is the index of DATA/reports (newest first) and the files in
// it. Paths are confined to the reports folder by http.Dir.
func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request, rq *request) int {
	rel := strings.TrimPrefix(r.URL.Path, "/reports/")
	if rel != "" {
		full := filepath.Join(s.cfg.reportsDir(), filepath.FromSlash(rel))
		if st, err := os.Stat(full); err != nil || st.IsDir() {
			return jsonError(w, http.StatusNotFound, "no such report file")
		}
		http.StripPrefix("/reports/", http.FileServer(http.Dir(s.cfg.reportsDir()))).ServeHTTP(w, r)
		return http.StatusOK
	}
	var runs []reportRun
	entries, _ := os.ReadDir(s.cfg.reportsDir())
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(s.cfg.reportsDir(), e.Name()))
		run := reportRun{Name: e.Name()}
		for _, f := range files {
			if !f.IsDir() && !strings.HasPrefix(f.Name(), ".") {
				run.Files = append(run.Files, e.Name()+"/"+f.Name())
			}
		}
		runs = append(runs, run)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Name > runs[j].Name })
	if !wantsHTML(r) && strings.Contains(r.Header.Get("Accept"), "application/json") {
		return writeJSON(w, http.StatusOK, map[string]any{"reports": runs})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	indexTmpl.Execute(w, map[string]any{"Who": rq.tok.Name, "Role": rq.tok.Role, "Runs": runs, "Prefix": ""})
	return http.StatusOK
}

// pushAPI ingests an NDJSON body and answers per line.
func (s *Server) pushAPI(w http.ResponseWriter, r *http.Request, rq *request) int {
	if s.draining.Load() || s.pusher == nil {
		w.Header().Set("Retry-After", "30")
		return jsonError(w, http.StatusServiceUnavailable, "the server is shutting down or not yet connected; retry later")
	}
	body := http.MaxBytesReader(w, r.Body, 64<<20)
	results, sum, err := s.pusher.Push(r.Context(), "push:"+rq.tok.Name, body)
	if err != nil {
		rq.errMsg = err.Error()
		return jsonError(w, http.StatusServiceUnavailable, "nothing was acknowledged, retry the whole body: "+err.Error())
	}
	s.countIngest("push", sum)
	rq.rows = sum.Read
	if results == nil {
		results = []ingest.LineResult{}
	}
	return writeJSON(w, http.StatusOK, results)
}
