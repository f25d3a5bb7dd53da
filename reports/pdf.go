package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ErrNoChromium is returned (wrapped) by PDF when no Chromium binary can be
// found. WriteKPI treats it as a warning: it writes every other format and
// says that kpi.pdf was skipped.
var ErrNoChromium = errors.New("no Chromium found: install Debian's chromium package (apt-get install -y chromium) or set EVALPIPE_CHROMIUM to the browser's path")

// pdfTimeout bounds one rendering when the caller's context has no deadline:
// a report prints in a second or two; a browser that hangs must not hang the
// pipeline.
const pdfTimeout = 2 * time.Minute

// chromiumFlags make headless Chromium print a local file and do nothing
// else: no sandbox (CI runs as root in a container), no GPU, and none of the
// background traffic (QUIC, component updates, sync, first-run pings) that a
// report must not cause.
var chromiumFlags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
}

// FindChromium returns the path of the Chromium binary PDF uses: the file
// named by $EVALPIPE_CHROMIUM when set, else chromium or chromium-browser
// on $PATH. The error wraps ErrNoChromium.
func FindChromium() (string, error) {
	if p := os.Getenv("EVALPIPE_CHROMIUM"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("reports: EVALPIPE_CHROMIUM=%s: %v: %w", p, err, ErrNoChromium)
		}
		return found, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("reports: %w", ErrNoChromium)
}

// PDF prints the self-contained HTML file htmlPath to pdfPath (A4, as the
// report's print styles ask) with headless Chromium, without page headers
// or footers. The browser gets a fresh profile in a temporary folder, which
// is removed afterwards; the PDF is written to a temporary name and renamed,
// so a reader never sees half a file. Without a deadline on ctx a rendering
// is given two minutes. A missing browser gives an error wrapping
// ErrNoChromium.
//
// Unlike the other formats a PDF is not byte-for-byte reproducible: Chromium
// stamps its creation date into it.
func PDF(ctx context.Context, htmlPath, pdfPath string) error {
	bin, err := FindChromium()
	if err != nil {
		return err
	}
	in, err := filepath.Abs(htmlPath)
	if err != nil {
		return fmt.Errorf("reports: pdf %s: %w", htmlPath, err)
	}
	if _, err := os.Stat(in); err != nil {
		return fmt.Errorf("reports: pdf: %w", err)
	}
	out, err := filepath.Abs(pdfPath)
	if err != nil {
		return fmt.Errorf("reports: pdf %s: %w", pdfPath, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, pdfTimeout)
		defer cancel()
	}
	profile, err := os.MkdirTemp("", "evalpipe-chromium-")
	if err != nil {
		return fmt.Errorf("reports: pdf: browser profile: %w", err)
	}
	defer os.RemoveAll(profile)
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".tmp")
	defer os.Remove(tmp) // a no-op once renamed

	args := append(append([]string{}, chromiumFlags...),
		"--user-data-dir="+profile,
		"--no-pdf-header-footer",
		"--print-to-pdf="+tmp,
		(&url.URL{Scheme: "file", Path: filepath.ToSlash(in)}).String(),
	)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	// Chromium's helper processes may hold the pipes open after it is
	// killed; do not wait for them for ever.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("reports: pdf %s: %s: %w%s", htmlPath, bin, err, tail(stderr.String()))
	}
	// Chromium exits 0 even when it could not print; check the file.
	head := make([]byte, 5)
	f, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("reports: pdf %s: %s wrote no PDF%s", htmlPath, bin, tail(stderr.String()))
	}
	_, err = f.Read(head)
	f.Close()
	if err != nil || string(head) != "%PDF-" {
		return fmt.Errorf("reports: pdf %s: %s wrote something that is not a PDF%s", htmlPath, bin, tail(stderr.String()))
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("reports: pdf: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("reports: pdf: %w", err)
	}
	return nil
}

// tail is the end of the browser's output, for an error message.
func tail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return "; browser said: " + s
}
