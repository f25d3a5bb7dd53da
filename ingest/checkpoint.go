package ingest

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// checkpoint records how much of one file (by absolute path) Kafka has
// acknowledged. Offset and PrefixSHA256 let a later run prove that the file
// still starts with those bytes before skipping them: an appended file
// resumes after them, a rewritten one is read again.
type checkpoint struct {
	Path          string    `json:"path"`
	Offset        int64     `json:"offset"`  // bytes acknowledged
	Lines         int64     `json:"lines"`   // physical lines in those bytes
	Records       int64     `json:"records"` // records in those bytes
	PrefixSHA256  string    `json:"prefix_sha256"`
	Complete      bool      `json:"complete"`                 // read to the end
	ContentSHA256 string    `json:"content_sha256,omitempty"` // whole file, when complete
	UpdatedAt     time.Time `json:"updated_at"`
}

// contentEntry indexes a completely ingested file by the hash of its bytes,
// so the same export under another name is recognised.
type contentEntry struct {
	Path    string `json:"path"`
	Records int64  `json:"records"`
	Lines   int64  `json:"lines,omitempty"` // the file's last line (entries since 6 December 2026)
	Bytes   int64  `json:"bytes,omitempty"` // the file's length (entries since sizes/ was kept)
}

// store keeps checkpoints as small JSON files under dir: files/<hash of
// path>.json and content/<hash of content>.json. One file per entry makes
// every update a single atomic rename.
//
// sizes/<bytes> marks that some indexed content has that length, so that a
// new file of a length no indexed content has is known to be new content
// without hashing it whole before it is read (store.sizeIndexed). A store
// whose content index predates sizes/ has sizes/unknown: its entries'
// lengths are not known, and every new file is hashed whole first.
type store struct{ dir string }

func openStore(dir string) (*store, error) {
	for _, sub := range []string{"files", "content"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("create checkpoint directory: %w", err)
		}
	}
	s := &store{dir: dir}
	if err := s.initSizes(); err != nil {
		return nil, fmt.Errorf("create checkpoint directory: %w", err)
	}
	return s, nil
}

// initSizes makes sizes/ when there is none, with the unknown marker if the
// content index already has entries. It is made under another name and
// renamed, so that a crash cannot leave sizes/ without the marker it needs.
func (s *store) initSizes() error {
	sizes := filepath.Join(s.dir, "sizes")
	if _, err := os.Stat(sizes); !errors.Is(err, os.ErrNotExist) {
		return err
	}
	indexed, err := filepath.Glob(filepath.Join(s.dir, "content", "*.json"))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(s.dir, ".sizes-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // gone with the rename
	if len(indexed) > 0 {
		if err := writeJSONAtomic(filepath.Join(tmp, "unknown"), len(indexed)); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, sizes); err != nil {
		if _, serr := os.Stat(sizes); serr == nil {
			return nil // another run made it first
		}
		return err
	}
	return nil
}

// sizeIndexed reports whether content of n bytes may be in the content
// index: false proves a file of that length new content.
func (s *store) sizeIndexed(n int64) (bool, error) {
	for _, name := range []string{"unknown", strconv.FormatInt(n, 10)} {
		_, err := os.Stat(filepath.Join(s.dir, "sizes", name))
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("read checkpoint: %w", err)
		}
	}
	return false, nil
}

func (s *store) filePath(path string) string {
	h := sha256.Sum256([]byte(path))
	return filepath.Join(s.dir, "files", hex.EncodeToString(h[:16])+".json")
}

func (s *store) contentPath(sum string) string {
	return filepath.Join(s.dir, "content", sum+".json")
}

// load returns the checkpoint of path, or nil when there is none.
func (s *store) load(path string) (*checkpoint, error) {
	var cp checkpoint
	ok, err := readJSON(s.filePath(path), &cp)
	if !ok || err != nil {
		return nil, err
	}
	if cp.Path != path { // a hash collision of paths: treat as unseen
		return nil, nil
	}
	return &cp, nil
}

func (s *store) save(cp *checkpoint) error {
	return writeJSONAtomic(s.filePath(cp.Path), cp)
}

func (s *store) content(sum string) (*contentEntry, error) {
	var e contentEntry
	ok, err := readJSON(s.contentPath(sum), &e)
	if !ok || err != nil {
		return nil, err
	}
	return &e, nil
}

// saveContent indexes content, its length first: an entry without its
// length marked could go unrecognised. (The marker holds the hash of the
// latest content of that length, for whoever looks.)
func (s *store) saveContent(sum string, e contentEntry) error {
	if err := writeJSONAtomic(filepath.Join(s.dir, "sizes", strconv.FormatInt(e.Bytes, 10)), sum); err != nil {
		return err
	}
	return writeJSONAtomic(s.contentPath(sum), e)
}

func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read checkpoint: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("checkpoint %s is corrupt (delete it to re-read the file): %w", path, err)
	}
	return true, nil
}

// writeJSONAtomic writes durably: a temporary file, fsync, rename over the
// old one, fsync the directory. A crash leaves the old or the new version,
// never a torn one.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync checkpoint: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("install checkpoint: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync checkpoint directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync checkpoint directory: %w", err)
	}
	return nil
}

// hashFile returns the SHA-256 of the whole file and of its first at bytes
// (empty when the file is shorter), in one pass, with the hash's state
// after those at bytes (nil when the file is shorter): a reader that
// resumes at at goes on from it rather than hashing the prefix again.
func hashFile(path string, at int64) (whole, prefix string, state []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", nil, err
	}
	defer f.Close()
	h := sha256.New()
	if at > 0 {
		n, err := io.CopyN(h, f, at)
		if err != nil && !errors.Is(err, io.EOF) {
			return "", "", nil, err
		}
		if n == at {
			prefix = hex.EncodeToString(h.Sum(nil))
			if state, err = h.(encoding.BinaryMarshaler).MarshalBinary(); err != nil {
				return "", "", nil, err
			}
		}
	}
	if _, err := io.Copy(h, f); err != nil {
		return "", "", nil, err
	}
	return hex.EncodeToString(h.Sum(nil)), prefix, state, nil
}
