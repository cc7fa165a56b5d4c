package aritest_test

import (
	"testing"

	"github.com/slobozhanske/hotline/telephony/ari/aritest"
)

// The conformance tests replay the transcripts recorded from Asterisk
// 22.10.1 (/work/shared/ari-traces) against the test server; see
// replay_test.go. Where inference from the events is not enough, a
// scenario scripts the SIP side from the transcript's notes.

// press returns a note action: the far end of the transcript's channel
// traceID sends digits that the transcript shows no event for.
func press(traceID, digits string) func(r *replayer) error {
	return func(r *replayer) error {
		p, err := r.party(traceID)
		if err != nil {
			return err
		}
		return p.Press(digits)
	}
}

func endpointState(resource, state string) func(r *replayer) error {
	return func(r *replayer) error { return r.srv.SetEndpointState("PJSIP", resource, state) }
}

func TestConformance01IncomingAnswerPlayDTMFHangup(t *testing.T) {
	runScenario(t, scenario{file: "01-incoming-answer-play-dtmf-hangup.jsonl"})
}

func TestConformance02CallerHangupDuringPlayback(t *testing.T) {
	runScenario(t, scenario{file: "02-caller-hangup-during-playback.jsonl"})
}

func TestConformance03PlayMediaListAndMissingFile(t *testing.T) {
	runScenario(t, scenario{file: "03-play-media-list-and-missing-file.jsonl"})
}

func TestConformance04StopPlaybackAndQueuedPlay(t *testing.T) {
	runScenario(t, scenario{file: "04-stop-playback-and-queued-play.jsonl"})
}

func TestConformance05CommandsDuringPlayback(t *testing.T) {
	runScenario(t, scenario{file: "05-commands-during-playback.jsonl"})
}

func TestConformance06LiveRecording(t *testing.T) {
	runScenario(t, scenario{file: "06-live-recording.jsonl"})
}

func TestConformance07DTMFEndpointSubscription(t *testing.T) {
	runScenario(t, scenario{file: "07-dtmf-endpoint-subscription.jsonl"})
}

func TestConformance08Originate(t *testing.T) {
	runScenario(t, scenario{file: "08-originate.jsonl"})
}

func TestConformance09BridgeDTMFPlay(t *testing.T) {
	runScenario(t, scenario{file: "09-bridge-dtmf-play.jsonl", onNote: map[string]func(*replayer) error{
		// In the plain mixing bridge the digits travel RTP to RTP and
		// never reach the application.
		"no ChannelDtmfReceived from the caller": press("1796178364.23", "6"),
		"no ChannelDtmfReceived from operator1":  press("1796178364.24", "8"),
	}})
}

func TestConformance10MOH(t *testing.T) {
	runScenario(t, scenario{file: "10-moh.jsonl"})
}

func TestConformance11WebsocketCutAndSecondWebsocket(t *testing.T) {
	runScenario(t, scenario{file: "11-websocket-cut-and-second-websocket.jsonl", onNote: map[string]func(*replayer) error{
		// Sent while no WebSocket is connected: the event is lost.
		"DTMF 5 reaches Asterisk": press("1796178395.28", "5"),
	}})
}

func TestConformance12ContinueAndHangupCauses(t *testing.T) {
	runScenario(t, scenario{file: "12-continue-and-hangup-causes.jsonl"})
}

func TestConformance13EndpointState(t *testing.T) {
	runScenario(t, scenario{
		file: "13-endpoint-state.jsonl",
		setup: func(srv *aritest.Server) {
			if err := srv.SetEndpointState("PJSIP", "operator2", aritest.EndpointOffline); err != nil {
				t.Fatal(err)
			}
		},
		onNote: map[string]func(*replayer) error{
			"operator2 starts and REGISTERs": endpointState("operator2", aritest.EndpointOnline),
			"operator2 quits":                endpointState("operator2", aritest.EndpointOffline),
		},
	})
}

func TestConformance14AnswerRingVariableAndErrors(t *testing.T) {
	runScenario(t, scenario{file: "14-answer-ring-variable-and-errors.jsonl"})
}
