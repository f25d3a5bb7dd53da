package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrNotReadOnly is wrapped by Query's error for anything but a single
// SELECT (or WITH ... SELECT) statement.
var ErrNotReadOnly = errors.New("only a single read-only SELECT or WITH statement is allowed")

// Query runs one evaluator's read-only query over the warehouse's views and
// tables (see README.md) and returns its column names and rows. Anything
// but a single SELECT/WITH statement is rejected before it runs; reading
// files other than the lake is refused by the database's sandbox.
func (w *Warehouse) Query(ctx context.Context, q string) (cols []string, rows [][]any, err error) {
	q, err = checkReadOnly(q)
	if err != nil {
		return nil, nil, err
	}
	// DuckDB's own parser is the authority: json_serialize_sql serialises
	// SELECT statements only and reports anything else as an error.
	var js string
	if err := w.db.QueryRowContext(ctx, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR", q).Scan(&js); err != nil {
		return nil, nil, fmt.Errorf("query: %w", err)
	}
	var parsed struct {
		Error      bool              `json:"error"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(js), &parsed); err != nil {
		return nil, nil, fmt.Errorf("query: %w", err)
	}
	switch {
	case parsed.Error && strings.Contains(parsed.Message, "Only SELECT"):
		return nil, nil, fmt.Errorf("query: %w", ErrNotReadOnly)
	case parsed.Error:
		return nil, nil, fmt.Errorf("query: %s", parsed.Message)
	case len(parsed.Statements) != 1:
		return nil, nil, fmt.Errorf("query: %d statements: %w", len(parsed.Statements), ErrNotReadOnly)
	}
	rs, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("query: %w", err)
	}
	defer rs.Close()
	if cols, err = rs.Columns(); err != nil {
		return nil, nil, fmt.Errorf("query: %w", err)
	}
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, nil, fmt.Errorf("query: %w", err)
		}
		rows = append(rows, vals)
	}
	if err := rs.Err(); err != nil {
		return nil, nil, fmt.Errorf("query: %w", err)
	}
	return cols, rows, nil
}

// checkReadOnly gives clear errors for the common mistakes before DuckDB
// sees the text: more than one statement, or a first keyword other than
// SELECT/WITH. It returns the query without its trailing semicolon.
func checkReadOnly(q string) (string, error) {
	// Token positions are byte offsets into q: invalid UTF-8 would shift
	// them (each bad byte becomes a 3-byte U+FFFD rune) and SQL text must be
	// UTF-8 anyway (found by FuzzCheckReadOnly).
	if !utf8.ValidString(q) {
		return "", fmt.Errorf("query: the SQL is not valid UTF-8 text: %w", ErrNotReadOnly)
	}
	toks := tokens(q)
	if len(toks) == 0 {
		return "", fmt.Errorf("query: empty: %w", ErrNotReadOnly)
	}
	for i, t := range toks {
		if t.text == ";" {
			if i != len(toks)-1 {
				return "", fmt.Errorf("query: more than one statement (a ';' before the end): %w", ErrNotReadOnly)
			}
			q = q[:t.pos]
		}
	}
	first := strings.ToUpper(toks[0].text)
	if toks[0].text == "(" {
		for _, t := range toks {
			if t.text != "(" {
				first = strings.ToUpper(t.text)
				break
			}
		}
	}
	switch first {
	case "SELECT", "WITH":
		return q, nil
	case ";":
		return "", fmt.Errorf("query: empty: %w", ErrNotReadOnly)
	}
	return "", fmt.Errorf("query: %s statements are not allowed (the warehouse is read-only and sandboxed to the lake): %w", first, ErrNotReadOnly)
}

type token struct {
	text string
	pos  int
}

// tokens splits SQL into words and punctuation, skipping comments, string
// literals and quoted identifiers (which appear as one token).
func tokens(q string) []token {
	var out []token
	r := []rune(q)
	byteAt := func(i int) int { return len(string(r[:i])) }
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '-' && i+1 < len(r) && r[i+1] == '-':
			for i < len(r) && r[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(r) && r[i+1] == '*':
			i += 2
			for i+1 < len(r) && !(r[i] == '*' && r[i+1] == '/') {
				i++
			}
			i += 2
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(r) {
				if r[j] == c {
					if j+1 < len(r) && r[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			out = append(out, token{text: string(r[i:min(j+1, len(r))]), pos: byteAt(i)})
			i = j + 1
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_') {
				j++
			}
			out = append(out, token{text: string(r[i:j]), pos: byteAt(i)})
			i = j
		default:
			out = append(out, token{text: string(c), pos: byteAt(i)})
			i++
		}
	}
	return out
}
