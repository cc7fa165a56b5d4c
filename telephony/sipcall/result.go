package sipcall

import (
	"encoding/json"
	"errors"
	"time"
)

// Result is what one call did. In JSON durations are seconds.
type Result struct {
	OK      bool   `json:"ok"`
	Failure string `json:"failure,omitempty"` // one of the Fail… kinds
	Error   string `json:"error,omitempty"`   // what happened, for a person

	Target string `json:"target"`
	Number string `json:"number"`
	CallID string `json:"call_id,omitempty"`
	// Code and Reason are the INVITE's final answer (the last one, after a
	// digest challenge).
	Code    int       `json:"sip_code,omitempty"`
	Reason  string    `json:"sip_reason,omitempty"`
	Started time.Time `json:"started"`

	// Setup is INVITE → 200 OK (a digest challenge's round trip included).
	Setup time.Duration `json:"-"`
	// FirstAudio is 200 OK → the first frame above the threshold.
	FirstAudio time.Duration `json:"-"`
	// KeysAt is when the keys were started, after the answer.
	KeysAt time.Duration `json:"-"`
	// AudioAfterKeys is the last key's end (its first end packet) → audio
	// again: the menu's reaction time.
	AudioAfterKeys time.Duration `json:"-"`
	Duration       time.Duration `json:"-"`

	Codec            string  `json:"codec,omitempty"`
	EventPT          int     `json:"telephone_event_pt"`
	KeysSent         string  `json:"keys_sent,omitempty"`
	RTPPackets       int     `json:"rtp_packets_received"`
	RTPBadPackets    int     `json:"rtp_bad_packets,omitempty"`
	AudioPacketsSent int     `json:"rtp_audio_packets_sent"`
	EventPacketsSent int     `json:"rtp_event_packets_sent"`
	PeakDBFS         float64 `json:"peak_dbfs,omitempty"`
	ReInvites        int     `json:"reinvites_answered"`
	Updates          int     `json:"updates_answered"`
	EndedByServer    bool    `json:"ended_by_server,omitempty"`
	ByeError         string  `json:"bye_error,omitempty"`
}

func (r *Result) fail(kind string, err error) *Result {
	r.OK, r.Failure, r.Error = false, kind, err.Error()
	return r
}

func (r *Result) failErr(kind string, err error) error {
	r.fail(kind, err)
	return err
}

// Err is the failure as an error, nil for a call that passed.
func (r *Result) Err() error {
	if r.OK {
		return nil
	}
	return errors.New(r.Failure + ": " + r.Error)
}

// MarshalJSON writes the durations as seconds (to the microsecond), absent
// when the call did not get that far.
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	secs := func(d time.Duration) *float64 {
		if d <= 0 {
			return nil
		}
		s := float64(d.Round(time.Microsecond)) / float64(time.Second)
		return &s
	}
	return json.Marshal(struct {
		*plain
		Setup          *float64 `json:"setup_seconds,omitempty"`
		FirstAudio     *float64 `json:"first_audio_seconds,omitempty"`
		KeysAt         *float64 `json:"keys_sent_at_seconds,omitempty"`
		AudioAfterKeys *float64 `json:"audio_after_keys_seconds,omitempty"`
		Duration       *float64 `json:"duration_seconds,omitempty"`
	}{(*plain)(r), secs(r.Setup), secs(r.FirstAudio), secs(r.KeysAt), secs(r.AudioAfterKeys), secs(r.Duration)})
}
