package pgstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/slobozhanske/hotline/appeals"
)

// where builds a WHERE clause from conditions with positional arguments.
type where struct {
	conds []string
	args  []any
}

// add appends a condition; each "?" becomes the next argument's $n.
func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// likeEscape makes a user's fragment match literally inside LIKE.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func statuses(ss []appeals.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// overdueCondition mirrors appeals.Card.Overdue: past the acceptance
// deadline while awaiting acceptance, or past the resolution deadline while
// awaiting resolution.
func overdueCondition(w *where, now time.Time) {
	w.add("((a.status = ANY(?) AND a.accept_by < ?) OR (a.status = ANY(?) AND a.resolve_by < ?))",
		statuses(appeals.AwaitingAcceptance), now, statuses(appeals.AwaitingResolution), now)
}

// Search returns a page of cards, newest first, and the total matching.
func (s *Store) Search(ctx context.Context, f appeals.Filter) ([]appeals.Card, int, error) {
	var w where
	if f.Number != "" {
		w.add("(a.number = ? OR a.number_digits = ?)", f.Number, f.Number)
	}
	if f.Phone != "" {
		w.add(`a.contact_phone LIKE ?`, "%"+likeEscape(f.Phone))
	}
	if f.Address != "" {
		w.add("a.search_place LIKE ?", "%"+likeEscape(strings.ToLower(f.Address))+"%")
	}
	if len(f.Statuses) > 0 {
		w.add("a.status = ANY(?)", statuses(f.Statuses))
	}
	if f.Category != "" {
		w.add("a.category = ?", f.Category)
	}
	if f.Executor != "" {
		w.add("a.executor = ?", f.Executor)
	}
	if f.Overdue {
		overdueCondition(&w, f.Now)
	}
	if !f.From.IsZero() {
		w.add("a.created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		w.add("a.created_at < ?", f.To)
	}
	w.args = append(w.args, f.Limit, f.Offset)
	sql := fmt.Sprintf("SELECT %s, count(*) OVER () FROM appeals a WHERE %s ORDER BY a.created_at DESC, a.seq DESC LIMIT $%d OFFSET $%d",
		cardColumns, w.String(), len(w.args)-1, len(w.args))
	rows, err := s.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("search appeals: %w", err)
	}
	var total int
	cards, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (appeals.Card, error) {
		return scanCard(r, &total)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read appeals: %w", err)
	}
	if len(cards) == 0 && f.Offset > 0 {
		// A page past the end has no rows to carry the total.
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM appeals a WHERE "+w.String(), w.args[:len(w.args)-2]...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count appeals: %w", err)
		}
	}
	return cards, total, nil
}

// CountOpen counts unclosed cards by status and overdue ones by priority.
func (s *Store) CountOpen(ctx context.Context, now time.Time) (appeals.OpenCounts, error) {
	out := appeals.OpenCounts{ByStatus: map[appeals.Status]int{}, OverdueByPriority: map[appeals.Priority]int{}}
	var w where
	overdueCondition(&w, now)
	rows, err := s.pool.Query(ctx, `SELECT a.status, a.priority, count(*), count(*) FILTER (WHERE `+w.String()+`)
		FROM appeals a WHERE a.status <> 'closed' GROUP BY a.status, a.priority`, w.args...)
	if err != nil {
		return out, fmt.Errorf("count open appeals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st appeals.Status
		var p appeals.Priority
		var n, overdue int
		if err := rows.Scan(&st, &p, &n, &overdue); err != nil {
			return out, fmt.Errorf("count open appeals: %w", err)
		}
		out.ByStatus[st] += n
		out.OverdueByPriority[p] += overdue
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("count open appeals: %w", err)
	}
	return out, nil
}
