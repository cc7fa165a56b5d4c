package appeals

import (
	"context"
	"fmt"
)

// AddComment adds a note to a card. Executors comment on their own cards.
func (s *Service) AddComment(ctx context.Context, a Actor, id, text string) (Comment, error) {
	if err := a.may(OpComment); err != nil {
		return Comment{}, err
	}
	text, err := cleanText("text", text, maxComment, true)
	if err != nil {
		return Comment{}, err
	}
	if text == "" {
		return Comment{}, invalid("text", "must not be empty")
	}
	if _, err := s.Get(ctx, a, id); err != nil {
		return Comment{}, err
	}
	now := s.now()
	c, err := s.repo.AddComment(ctx, id, Comment{At: now, Author: a.User, Role: a.Role, Text: text},
		HistoryEntry{At: now, Who: a.User, Role: a.Role, Action: ActionCommentAdded})
	if err != nil {
		return Comment{}, fmt.Errorf("comment on appeal %s: %w", id, err)
	}
	return c, nil
}

// AddAttachment adds a reference to a document or photo kept elsewhere
// (art. 5.4.1: acts and answers are scanned and attached).
func (s *Service) AddAttachment(ctx context.Context, a Actor, id string, att Attachment) (Attachment, error) {
	if err := a.may(OpComment); err != nil {
		return Attachment{}, err
	}
	if att.Kind == "" {
		att.Kind = AttachmentDocument
	}
	if !att.Kind.Valid() {
		return Attachment{}, invalid("kind", "unknown kind %q (one of %v)", att.Kind, AttachmentKinds)
	}
	var err error
	if att.Ref, err = cleanText("ref", att.Ref, maxRef, false); err != nil {
		return Attachment{}, err
	}
	if att.Ref == "" {
		return Attachment{}, invalid("ref", "is required: a URL or a file id")
	}
	if att.Title, err = cleanText("title", att.Title, maxAddress, false); err != nil {
		return Attachment{}, err
	}
	if _, err := s.Get(ctx, a, id); err != nil {
		return Attachment{}, err
	}
	now := s.now()
	att.At, att.Author, att.Role = now, a.User, a.Role
	saved, err := s.repo.AddAttachment(ctx, id, att, HistoryEntry{At: now, Who: a.User, Role: a.Role,
		Action: ActionAttachmentAdded, Detail: map[string]string{"kind": string(att.Kind), "ref": att.Ref}})
	if err != nil {
		return Attachment{}, fmt.Errorf("attach to appeal %s: %w", id, err)
	}
	return saved, nil
}

// LinkCall links a call record (and its recording) to a card; linking the
// same call again changes nothing and returns added false.
func (s *Service) LinkCall(ctx context.Context, a Actor, id string, l CallLink) (added bool, err error) {
	if err := a.may(OpLinkCall); err != nil {
		return false, err
	}
	l.LinkedAt, l.LinkedBy = s.now(), a.User
	if l, err = cleanLink(l); err != nil {
		return false, err
	}
	if _, err := s.Get(ctx, a, id); err != nil {
		return false, err
	}
	added, err = s.repo.LinkCall(ctx, id, l, HistoryEntry{At: l.LinkedAt, Who: a.User, Role: a.Role,
		Action: ActionCallLinked, Detail: map[string]string{"call_id": l.CallID}})
	if err != nil {
		return false, fmt.Errorf("link call %s to appeal %s: %w", l.CallID, id, err)
	}
	return added, nil
}

// Entry is a history entry written by another part of the server, e.g.
// the escalation: {Who: "Черговий диспетчер", Action: "duty_acknowledged",
// Note: "прийнято о 23:14"}.
type Entry struct {
	Who    string
	Action string // lower-case letters, digits, _ and .
	Note   string
	Detail map[string]string
}

// AddHistory records an entry on a card's history at the service's clock.
func (s *Service) AddHistory(ctx context.Context, appealID string, e Entry) error {
	if !ValidID(appealID) {
		return ErrNotFound
	}
	if err := checkAction(e.Action); err != nil {
		return err
	}
	who, err := cleanText("who", e.Who, maxName, false)
	if err != nil {
		return err
	}
	if who == "" {
		return invalid("who", "is required")
	}
	note, err := cleanText("note", e.Note, maxReason, true)
	if err != nil {
		return err
	}
	if len(e.Detail) > maxDetailKV {
		return invalid("detail", "at most %d entries", maxDetailKV)
	}
	h := HistoryEntry{At: s.now(), Who: who, Role: RoleSystem, Action: e.Action, Reason: note, Detail: e.Detail}
	if err := s.repo.AddHistory(ctx, appealID, h); err != nil {
		return fmt.Errorf("add history to appeal %s: %w", appealID, err)
	}
	return nil
}
