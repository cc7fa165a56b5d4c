// Package sipcall is the hotline's own SIP caller: a user agent on
// github.com/emiago/sipgo that phones the hotline the way a resident does,
// to prove it answers (hotline probe-call, and every probe_call.every
// inside hotline serve) and to load it (hotline loadcall).
//
// # A call
//
//  1. INVITE to Number@Target over UDP, from one socket bound to the local
//     address of the route to the target (the Via, the Contact and the SDP
//     all name an address the server can reach). The SDP offers PCMA, PCMU
//     and telephone-event/8000 (payload type 101), ptime 20. A 401 or 407
//     is answered with digest credentials (sipgo's WaitAnswer). Setup is
//     the time from the first INVITE to the 200 OK, the challenge's round
//     trip included.
//  2. The answer's SDP decides the codec (its first G.711 one), where RTP
//     goes and the telephone-event payload type (101 when it names none).
//     A malformed SDP ends the call with BYE and fails it as bad_media.
//  3. RTP flows both ways from the ACK. The caller sends 20 ms of silence
//     every 20 ms, as a phone whose microphone hears nothing (this keeps
//     Asterisk's symmetric RTP latched on it). Received G.711 is decoded,
//     cut into 20 ms frames and measured: a frame whose RMS level is above
//     Options.Threshold (dBFS) is audio. First audio is the time from the
//     200 OK to the first such frame.
//  4. Once the greeting is over (no audio for KeySilence, or KeyWait after
//     the first audio at the latest) the keys are sent as RFC 4733 events:
//     each 100 ms, one timestamp for all its packets, the marker bit on the
//     first, the duration growing by 160 a packet, the end packet sent
//     three times; 100 ms of audio between keys. Audio must follow the last
//     key within AfterKeysTimeout (the menu answered).
//  5. After the checks (and Hold, for load tests) the caller hangs up with
//     BYE. A BYE from the server before that fails the call as
//     remote_hangup.
//
// Inside the call the agent answers what Asterisk sends: UPDATE (its
// connected-line update; 200 with our Contact, with an SDP answer when it
// carried an offer), re-INVITE (200 with the answer, or with an offer when
// it had no SDP and then the answer is read from the ACK; the 200 is
// retransmitted until the ACK, RFC 3261 §13.3.1.4), OPTIONS and INFO. The
// answer to an offer is the G.711 codecs and telephone-event it has in
// common with the offer, with its payload numbers and the direction turned
// round (RFC 3264); the o= version grows only when the description
// changes. Requests with an older CSeq get 500, those for no call of ours
// 481, and a new INVITE (a call to the agent) 603.
//
// Every failure has a kind (Fail…), and the JSON of a Result says it with a
// sentence and the SIP code: rejected (486, 603…), auth_failed, no_answer
// (the INVITE is cancelled after AnswerTimeout once something provisional
// came; before that there is nothing to match a CANCEL to, so it is
// abandoned), bad_media, no_audio, no_audio_after_keys, remote_hangup,
// timeout, error.
//
// Bad input from the network never panics: malformed SDP is refused (488
// in a dialog), malformed RTP is counted and skipped.
//
// # Not done
//
// UDP only (the probe runs next to Asterisk); no SRTP, ICE or codecs besides
// G.711; a target refresh (a new Contact in a re-INVITE) is answered but
// the BYE still goes to the first Contact; no jitter buffer: the recording
// is the packets in the order they arrived, gaps in their timestamps
// filled with silence.
//
// Load tests (Agent.Load) are bounded in calls, rate, concurrency and time,
// and hotline loadcall refuses targets outside loopback and
// probe_call.loadcall_networks (CheckLoadTarget).
//
// Tests run against sipcalltest, a sipgo server on 127.0.0.1 that stands in
// for Asterisk.
package sipcall
