package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"hash"
	"io"
	"strconv"
	"strings"
)

// record is one NDJSON line or one CSV record (which may span lines when a
// quoted field holds a newline).
type record struct {
	line    int64  // physical line number where the record starts, 1-based
	start   int64  // byte offset where the record starts
	end     int64  // byte offset just past the record and its newline
	data    []byte // without line endings; valid until the next call to next
	tooLong bool   // longer than the limit: data holds only the first bytes
}

// recordReader splits a file into records, skipping blank lines, while
// hashing every byte it consumes so that a checkpoint can prove which prefix
// of the file it covers. When resuming, h arrives holding the state after
// the checkpoint's verified prefix and hashFrom is that prefix's length:
// the bytes before it are read (their records are counted as resumed) but
// not hashed again.
type recordReader struct {
	br       *bufio.Reader
	h        hash.Hash
	hashFrom int64
	off      int64
	lines    int64
	csv      bool // join physical lines while inside a quoted field
	max      int
	buf      []byte
	eof      bool
}

func newRecordReader(r io.Reader, h hash.Hash, csv bool, max int) *recordReader {
	return &recordReader{br: bufio.NewReaderSize(r, 64<<10), h: h, csv: csv, max: max}
}

// next returns the next non-blank record, or io.EOF.
func (r *recordReader) next() (record, error) {
	for {
		if r.eof {
			return record{}, io.EOF
		}
		rec := record{line: r.lines + 1, start: r.off}
		r.buf = r.buf[:0]
		state := csvFieldStart
		for {
			n, err := r.physicalLine(&rec)
			if err != nil {
				return record{}, err
			}
			if !r.csv || r.eof || rec.tooLong {
				break
			}
			state = scanCSV(r.buf[len(r.buf)-n:], state)
			if state != csvQuoted {
				break
			}
			r.buf = append(r.buf, '\n') // the newline belongs to the quoted field
		}
		rec.end = r.off
		if len(bytes.TrimSpace(r.buf)) == 0 && !rec.tooLong {
			continue
		}
		rec.data = r.buf
		return rec, nil
	}
}

// physicalLine appends one line (without its ending) to r.buf and returns
// how many bytes it appended.
func (r *recordReader) physicalLine(rec *record) (int, error) {
	start := len(r.buf)
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(chunk) > 0 {
			if r.off+int64(len(chunk)) > r.hashFrom {
				r.h.Write(chunk[max(r.hashFrom-r.off, 0):])
			}
			r.off += int64(len(chunk))
			body := chunk
			if err == nil { // ends in '\n'
				body = body[:len(body)-1]
			}
			if room := r.max - len(r.buf); len(body) > room {
				body = body[:max(room, 0)]
				rec.tooLong = true
			}
			r.buf = append(r.buf, body...)
		}
		switch {
		case err == nil:
			r.lines++
			r.buf = trimCR(r.buf, start)
			return len(r.buf) - start, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			r.eof = true
			if len(chunk) > 0 || len(r.buf) > start {
				r.lines++
			}
			r.buf = trimCR(r.buf, start)
			return len(r.buf) - start, nil
		default:
			return 0, err
		}
	}
}

func trimCR(b []byte, start int) []byte {
	if len(b) > start && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

type csvState uint8

const (
	csvFieldStart csvState = iota
	csvUnquoted
	csvQuoted
	csvQuoteInQuoted // a '"' inside a quoted field: the end, or half of ""
)

// scanCSV follows RFC 4180 quoting across one physical line, so that the
// reader knows whether a newline ends the record or sits inside a field.
func scanCSV(b []byte, st csvState) csvState {
	for _, c := range b {
		switch st {
		case csvFieldStart:
			switch c {
			case '"':
				st = csvQuoted
			case ',':
			default:
				st = csvUnquoted
			}
		case csvUnquoted:
			if c == ',' {
				st = csvFieldStart
			}
		case csvQuoted:
			if c == '"' {
				st = csvQuoteInQuoted
			}
		case csvQuoteInQuoted:
			switch c {
			case '"':
				st = csvQuoted
			case ',':
				st = csvFieldStart
			default:
				st = csvUnquoted // malformed; splitCSV reports it
			}
		}
	}
	return st
}

// splitCSV splits one CSV record into trimmed cells (RFC 4180: comma
// separated, fields optionally quoted, "" for a quote inside quotes). A
// quote inside an unquoted field is kept as it is.
func splitCSV(rec string) ([]string, error) {
	cells := make([]string, 0, strings.Count(rec, ",")+1) // at most
	i := 0
	for {
		if i < len(rec) && rec[i] == '"' {
			var sb []byte
			i++
			for {
				j := strings.IndexByte(rec[i:], '"')
				if j < 0 {
					return nil, errors.New("unterminated quoted field")
				}
				sb = append(sb, rec[i:i+j]...)
				i += j + 1
				if i < len(rec) && rec[i] == '"' {
					sb = append(sb, '"')
					i++
					continue
				}
				break
			}
			cells = append(cells, string(bytes.TrimSpace(sb)))
			if i == len(rec) {
				return cells, nil
			}
			if rec[i] != ',' {
				return nil, errors.New("text after the closing quote of column " + strconv.Itoa(len(cells)))
			}
			i++
			continue
		}
		j := strings.IndexByte(rec[i:], ',')
		if j < 0 {
			return append(cells, strings.TrimSpace(rec[i:])), nil
		}
		cells = append(cells, strings.TrimSpace(rec[i:i+j]))
		i += j + 1
	}
}
