// Package aritest is a protocol-faithful stand-in for Asterisk 22's ARI
// (Asterisk REST Interface) for tests and benchmarks: a real HTTP server on
// loopback serving the REST API under /ari and the events WebSocket at
// /ari/events, simulating channels, bridges, playbacks, recordings and
// endpoints the way Asterisk's Stasis does. Resource paths, parameter
// names, status codes, models and event shapes follow the ARI spec
// (shared/ari-spec, Asterisk 22.10.1); a conformance test checks them.
//
// # Using it from a test
//
//	srv := aritest.Start(t, aritest.Options{TimeScale: 0.01}) // closed by t.Cleanup
//	// Configure the controller with srv.URL() ("http://127.0.0.1:PORT/ari"),
//	// srv.WebsocketURL(), srv.Username(), srv.Password() and start it.
//	if err := srv.WaitAppConnected(ctx, "hotline"); err != nil { ... }
//
//	srv.SetPhone("PJSIP/op101", aritest.PhoneBehavior{After: 3 * time.Second})
//	resident, err := srv.Dial(ctx, aritest.DialOptions{App: "hotline", Caller: "+380501234567", Exten: "1580"})
//	resident.WaitForPlayback(ctx, "sound:hotline/menu")
//	resident.Press("1")
//	op, _ := srv.WaitOutbound(ctx, "PJSIP/op101")
//	resident.WaitBridgedWith(ctx, op)
//	op.Hangup()
//	end, _ := resident.WaitEnded(ctx) // cause, text, who hung up
//
// Everything is event-driven: Party.Wait and the Wait* helpers block until
// a condition holds, so tests need no sleeps. srv.Requests() and
// srv.Events() log every request (method, path, status, the channel it
// concerned) and every event queued to an application, with the time each
// arrived or was sent: enough to measure how fast a controller answers.
//
// # Time
//
// Options.TimeScale scales every simulated duration (media lengths,
// ringing, originate timeouts, recording limits, PressAfter, HangupAfter):
// 0.01 runs 100x faster. Durations reported to the application (recording
// duration) stay in simulated seconds. Media durations come from
// Options.MediaDuration, Options.MediaDurations (by URI), Options.Sounds
// (sound: ids), stored recordings (recording:), else
// Options.DefaultMediaDuration (500 ms); tone: plays until stopped.
//
// # Asterisk behaviour reproduced
//
//   - An incoming call (Server.Dial) runs Options.Dialplan up to Stasis()
//     (ChannelCreated, SIPDOMAIN, ChannelDialplan per priority, STASISSTATUS
//     "": seen only by channel/endpoint subscribers), then StasisStart
//     (state Ring, or Up with DialOptions.Answered). If the application has
//     no WebSocket, Stasis() fails: the channel is hung up and Dial returns
//     ErrAppNotRegistered.
//   - Hangup order: the RTPAUDIOQOS* variables x5 (answered PJSIP
//     channels), ChannelHangupRequest (DELETE /channels: soft:true with cause
//     32, AST_SOFTHANGUP_EXPLICIT; a far-end BYE, Party.Hangup: no cause;
//     Party.HangupWithCause: that cause), PlaybackFinished "failed"/
//     RecordingFinished of running media, ChannelLeftBridge, StasisEnd.
//     An incoming channel's application is unsubscribed at StasisEnd: its
//     STASISSTATUS=SUCCESS, the dialplan's soft hangup request (cause 16)
//     and ChannelDestroyed reach only explicit channel or endpoint
//     subscribers. ChannelDestroyed carries the DELETE's reason (default 16),
//     0 "Unknown" after a BYE, and tech_cause (the SIP code) where chan_pjsip
//     has one. DELETE accepts reason or reason_code (not both).
//   - A channel's playbacks, recordings, continue and synchronous commands
//     (answer, POST variable, addChannel, removeChannel) run one after the
//     other (Asterisk's control queue): play returns 201 with state
//     "queued"; then PlaybackStarted, PlaybackContinuing between the URIs of
//     a list, PlaybackFinished "done" at the end or when stopped (DELETE
//     /playbacks/{id}; a queued playback stopped that way gets its
//     PlaybackFinished when its turn comes, without PlaybackStarted);
//     "failed" when the channel hangs up mid-play or the last file is missing
//     (a sound: not in a non-empty Options.Sounds, an unknown recording:); a
//     missing file earlier in a list just continues. A repeated query
//     parameter counts once, the last one (media=a&media=b plays b); lists
//     are comma-separated. Pausing sends no event and unpausing sends
//     PlaybackStarted again. A finished playback is gone (404). A
//     synchronous command's HTTP request is held until the media ahead of it
//     end. GET variable works on any channel, in Stasis or not.
//   - continue: StasisEnd (still showing the Stasis location), then the
//     channel runs Options.Dialplan from the new location: Stasis there
//     means a new StasisStart.
//   - Live recordings: 201 "queued", RecordingStarted, RecordingFinished
//     (state done with duration, plus talking_duration and silence_duration
//     when maxSilenceSeconds > 0; the limits count from the end of the beep;
//     a DialOptions.NoMedia caller records 0 s and never trips the silence
//     limit) on stop, maxDurationSeconds, terminateOn
//     DTMF, maxSilenceSeconds of silence after Party.Speak (trailing silence
//     trimmed) or hangup (Asterisk keeps what it has); DELETE cancels
//     (state canceled, nothing stored). Then GET /recordings/stored/{name}
//     exists; .../file returns a WAV of silence.
//   - Originate (POST /channels) answers 200 with the Down channel (in the
//     endpoint's context, Options.EndpointContexts); the originating
//     application is subscribed at once, so it sees Dial "", ringing
//     (ChannelStateChange, Dial RINGING), then ChannelStateChange Up, Dial
//     ANSWER, STASISSTATUS and StasisStart. A phone that refuses while
//     ringing (Busy, Reject, Party.Hangup) gives ChannelHangupRequest, Dial
//     BUSY/CONGESTION and ChannelDestroyed; the originate timeout gives only
//     ChannelDestroyed 19. An endpoint set offline makes originate fail
//     with 500 {"error":"Allocation failed"} (chan_pjsip cannot create a
//     channel to an endpoint without a contact). app wins over
//     extension/context; one of them is required (400). Endpoints not
//     configured are online and answer at once (Options.DefaultPhone).
//     POST /channels/create enters Stasis at once (StasisStart, state Down)
//     and rings on /dial.
//   - Bridges: an application is subscribed to a bridge only while one of
//     its channels is in it, so BridgeCreated and BridgeDestroyed reach only
//     subscribeAll and explicitly subscribed applications. The second party
//     entering gets ChannelConnectedLine for both. A mixing bridge without
//     dtmf_events between two PJSIP channels goes native_rtp (shown after
//     the change, as in Asterisk): their DTMF is not reported. A channel in
//     another bridge is moved.
//   - SetEndpointState of a PJSIP endpoint online/offline is a registration:
//     ContactStatusChange, EndpointStateChange, PeerStatusChange,
//     ContactStatusChange, to applications subscribed to the endpoint.
//   - When an application's WebSocket goes away its channels stay in Stasis
//     (GET /channels, GET /applications/{app} list them); events raised
//     meanwhile are lost; a new WebSocket resumes them. A second WebSocket
//     for the same application takes it over (ApplicationReplaced to the
//     old one). DropWebSockets cuts every WebSocket, optionally refusing new
//     ones (503) for a while.
//   - Each WebSocket has a bounded queue (Options.EventBuffer) written by
//     its own goroutine; HTTP handlers never block on a slow reader: when
//     the queue is full the WebSocket is closed and its applications become
//     inactive, as Asterisk drops a WebSocket whose writes time out.
//
// # Choices where Asterisk is looser or unclear
//
//   - Media with a scheme other than sound:, recording:, number:, digits:,
//     characters:, tone: gets 400 (Asterisk 22 accepts it and fails the
//     playback later).
//   - Commands on a channel that exists but is not in Stasis (e.g. after
//     continue) get 409 "Channel not in Stasis application"; on an unknown
//     or destroyed channel 404 (as find_control does). addChannel: unknown
//     channel 400, not in Stasis 422, recording 409, unknown bridge 404.
//   - addChannel of a channel already in that bridge gets 409. Asterisk 22
//     itself answers 204 and makes the channel leave and re-enter; set
//     Options.BridgeReAddLikeAsterisk for that.
//   - EndpointStateChange goes to applications subscribed to the endpoint
//     (endpoint:TECH/resource or endpoint:TECH), subscribeAll applications
//     and applications with a channel on the endpoint; it is sent on state
//     changes only (not when channels come and go).
//   - Applications stay listed by GET /applications once registered.
//
// # Where it differs from Asterisk, and why
//
// The conformance tests replay transcripts recorded from Asterisk 22.10.1
// (replay_test.go) and skip exactly these aspects:
//
//   - BRIDGEPEER and BRIDGEPVTCALLID ChannelVarset events are not sent: the
//     bridging core sets them again each time it re-evaluates the bridge,
//     a timing-dependent number of times; no controller needs them.
//   - The RTPAUDIOQOS* variables carry fixed zero statistics.
//   - A play request always answers state "queued"; Asterisk's answer races
//     the playback's start and says "queued" or "playing".
//   - Asynchronous commands (moh, ring, hold, mute, silence, dtmf) act at
//     once instead of after the media ahead of them; they answer 204 at once
//     in both, and no event shows the difference.
//   - The time a recording, a playback or a held request takes follows the
//     configured durations, not the real call's RTP.
//
// All state is guarded by one mutex; events are built and queued under it,
// so every application sees them in the order the state changed. The
// server handles hundreds of simultaneous calls under -race.
package aritest
