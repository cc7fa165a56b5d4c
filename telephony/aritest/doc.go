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
//   - An incoming call (Server.Dial) gets StasisStart first (state Ring, or
//     Up with DialOptions.Answered). If the application has no WebSocket,
//     Stasis() fails: the channel is hung up and Dial returns
//     ErrAppNotRegistered.
//   - Hangup order: ChannelHangupRequest (the far end's cause; for DELETE
//     /channels soft:true with cause 32, AST_SOFTHANGUP_EXPLICIT, as
//     ast_softhangup publishes it), then PlaybackFinished/
//     RecordingFinished of running media, ChannelLeftBridge, StasisEnd and
//     ChannelDestroyed (cause, cause_txt) last. DELETE accepts reason or
//     reason_code (not both; mapping as convert_reason_to_hangup_code).
//   - A channel's playbacks, recordings and continue run one after the
//     other (Asterisk's control queue): play returns 201 with state
//     "queued"; then PlaybackStarted, PlaybackContinuing between the URIs of
//     a list, PlaybackFinished "done" at the end or when stopped (DELETE
//     /playbacks/{id}); "failed" when the channel hangs up mid-play or the
//     last file is missing (a sound: not in a non-empty Options.Sounds, an
//     unknown recording:); a missing file earlier in a list just continues. Pausing sends no event and unpausing sends
//     PlaybackStarted again, as in Asterisk. A finished playback is gone
//     (404). Other commands (answer, MOH, addChannel...) act immediately.
//   - Live recordings: 201 "queued", RecordingStarted, RecordingFinished
//     (state done with duration, plus talking_duration and silence_duration
//     when maxSilenceSeconds > 0) on stop, maxDurationSeconds, terminateOn
//     DTMF, maxSilenceSeconds of silence after Party.Speak (trailing silence
//     trimmed) or hangup (Asterisk keeps what it has); DELETE cancels
//     (state canceled, nothing stored). Then GET /recordings/stored/{name}
//     exists; .../file returns a WAV of silence.
//   - Originate (POST /channels) answers 200 with the Down channel; the
//     originating application is subscribed at once, so it sees Dial,
//     ChannelStateChange (Ringing, Up) and, on failure, ChannelDestroyed
//     without any StasisStart: busy 17, no answer at the timeout 19,
//     rejected 21. StasisStart comes when the phone answers. An endpoint set
//     offline makes originate fail with 500 {"error":"Allocation failed"}
//     (ast_dial_prerun fails: chan_pjsip cannot create a channel to an
//     endpoint without a contact). app wins over extension/context; one of
//     them is required (400).
//     Endpoints not configured are online and answer at once
//     (Options.DefaultPhone). POST /channels/create enters Stasis at once
//     (StasisStart, state Down) and rings on /dial.
//   - Bridges: BridgeCreated reaches only subscribeAll applications (an
//     application subscribes to a bridge when its channel enters);
//     ChannelEnteredBridge/ChannelLeftBridge/BridgeDestroyed reach the
//     bridge's and the channel's applications. A channel in another bridge
//     is moved.
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
//   - Per channel, commands other than play, record and continue act at once
//     (Asterisk queues them behind a running playback too).
//   - EndpointStateChange goes to applications subscribed to the endpoint
//     (endpoint:TECH/resource or endpoint:TECH), subscribeAll applications
//     and applications with a channel on the endpoint; it is sent on state
//     changes only (not when channels come and go).
//   - Applications stay listed by GET /applications once registered.
//
// All state is guarded by one mutex; events are built and queued under it,
// so every application sees them in the order the state changed. The
// server handles hundreds of simultaneous calls under -race.
package aritest
