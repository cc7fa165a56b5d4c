package queuecall

import (
	"context"
	"fmt"

	"github.com/slobozhanske/hotline/ivr"
)

// The operator's call desk for appeal cards (appeals/httpapi.CallDesk): the
// API finds the call an operator registers an appeal for, and reads the new
// number to the caller.

// CurrentCall is the call the operator is talking on now (answered, not yet
// over; not while ringing or wrapping up). The API user is the operator
// whose id equals the user name of their API token (config api.tokens: the
// token of user "op101" is operator op101's); a user who is no operator has
// no call.
func (s *Service) CurrentCall(_ context.Context, user string) (callID string, ok bool) {
	return s.d.Conversation(user)
}

// ReadBackNumber reads an appeal number's digits into the call's
// conversation, so the caller and the operator both hear it: the
// AppealNumber prompt, then the digits one by one. The goroutine that owns
// the call plays them on its bridge; ReadBackNumber returns once the
// playback has started, without waiting for it to end. It fails when the
// call is not in conversation (queue.ErrNotInConversation, or
// queue.ErrCallNotFound when it is in no queue), when digits has no digit,
// or when ctx ends first.
func (s *Service) ReadBackNumber(ctx context.Context, callID, digits string) error {
	if ivr.SpeakDigits(digits) == "" {
		return fmt.Errorf("read back on call %s: no digits in %q", callID, digits)
	}
	return s.d.ReadBack(ctx, callID, digits)
}
