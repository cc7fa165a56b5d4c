package aritest

import "net/http"

// registerRoutes lists every operation the server implements, with the
// spec's paths and methods (the conformance test checks each against
// /work/shared/ari-spec). Anything else gets 404 (unknown path) or 405.
func (s *Server) registerRoutes(rt *router) {
	const (
		get, post, del = http.MethodGet, http.MethodPost, http.MethodDelete
	)

	rt.add(get, "/asterisk/info", s.handleInfo)
	rt.add(get, "/asterisk/ping", s.handlePing)
	rt.add(get, "/asterisk/variable", s.handleGlobalGet)
	rt.add(post, "/asterisk/variable", s.handleGlobalSet)

	rt.add(get, "/applications", s.handleAppList)
	rt.add(get, "/applications/{applicationName}", s.handleAppGet)
	rt.add(post, "/applications/{applicationName}/subscription", s.handleAppSubscribe)
	rt.add(del, "/applications/{applicationName}/subscription", s.handleAppSubscribe)

	rt.addRaw(get, "/events", s.serveEvents)

	rt.add(get, "/channels", s.handleChannelList)
	rt.add(post, "/channels", s.handleOriginate)
	rt.add(post, "/channels/create", s.handleCreate)
	rt.add(get, "/channels/{channelId}", s.handleChannelGet)
	rt.add(post, "/channels/{channelId}", s.handleOriginate)
	rt.add(del, "/channels/{channelId}", s.handleHangup)
	rt.add(post, "/channels/{channelId}/continue", s.handleContinue)
	rt.add(post, "/channels/{channelId}/answer", s.handleAnswer)
	rt.add(post, "/channels/{channelId}/ring", s.handleFlag(func(ch *channel) { ch.ringing = true }))
	rt.add(del, "/channels/{channelId}/ring", s.handleFlag(func(ch *channel) { ch.ringing = false }))
	rt.add(post, "/channels/{channelId}/progress", s.handleFlag(func(ch *channel) { ch.progress = true }))
	rt.add(post, "/channels/{channelId}/hold", s.handleFlag(func(ch *channel) { ch.held = true }))
	rt.add(del, "/channels/{channelId}/hold", s.handleFlag(func(ch *channel) { ch.held = false }))
	rt.add(post, "/channels/{channelId}/mute", s.handleMute)
	rt.add(del, "/channels/{channelId}/mute", s.handleMute)
	rt.add(post, "/channels/{channelId}/moh", s.handleMOH)
	rt.add(del, "/channels/{channelId}/moh", s.handleMOH)
	rt.add(post, "/channels/{channelId}/silence", s.handleFlag(func(ch *channel) { ch.silence, ch.moh = true, "" }))
	rt.add(del, "/channels/{channelId}/silence", s.handleFlag(func(ch *channel) { ch.silence = false }))
	rt.add(post, "/channels/{channelId}/dtmf", s.handleSendDTMF)
	rt.add(post, "/channels/{channelId}/play", s.handleChannelPlay)
	rt.add(post, "/channels/{channelId}/play/{playbackId}", s.handleChannelPlay)
	rt.add(post, "/channels/{channelId}/record", s.handleChannelRecord)
	rt.add(get, "/channels/{channelId}/variable", s.handleGetVar)
	rt.add(post, "/channels/{channelId}/variable", s.handleSetVar)
	rt.add(post, "/channels/{channelId}/dial", s.handleDial)

	rt.add(get, "/bridges", s.handleBridgeList)
	rt.add(post, "/bridges", s.handleBridgeCreate)
	rt.add(post, "/bridges/{bridgeId}", s.handleBridgeCreate)
	rt.add(get, "/bridges/{bridgeId}", s.handleBridgeGet)
	rt.add(del, "/bridges/{bridgeId}", s.handleBridgeDestroy)
	rt.add(post, "/bridges/{bridgeId}/addChannel", s.handleAddChannel)
	rt.add(post, "/bridges/{bridgeId}/removeChannel", s.handleRemoveChannel)
	rt.add(post, "/bridges/{bridgeId}/moh", s.handleBridgeMOH)
	rt.add(del, "/bridges/{bridgeId}/moh", s.handleBridgeMOH)
	rt.add(post, "/bridges/{bridgeId}/play", s.handleBridgePlay)
	rt.add(post, "/bridges/{bridgeId}/play/{playbackId}", s.handleBridgePlay)
	rt.add(post, "/bridges/{bridgeId}/record", s.handleBridgeRecord)

	rt.add(get, "/playbacks/{playbackId}", s.handlePlaybackGet)
	rt.add(del, "/playbacks/{playbackId}", s.handlePlaybackStop)
	rt.add(post, "/playbacks/{playbackId}/control", s.handlePlaybackControl)

	rt.add(get, "/recordings/stored", s.handleStoredList)
	rt.add(get, "/recordings/stored/{recordingName}", s.handleStoredGet)
	rt.add(del, "/recordings/stored/{recordingName}", s.handleStoredDelete)
	rt.add(get, "/recordings/stored/{recordingName}/file", s.handleStoredFile)
	rt.add(post, "/recordings/stored/{recordingName}/copy", s.handleStoredCopy)
	rt.add(get, "/recordings/live/{recordingName}", s.handleLiveGet)
	rt.add(del, "/recordings/live/{recordingName}", s.handleLiveCancel)
	rt.add(post, "/recordings/live/{recordingName}/stop", s.handleLiveStop)
	rt.add(post, "/recordings/live/{recordingName}/pause", s.handleLivePause(true))
	rt.add(del, "/recordings/live/{recordingName}/pause", s.handleLivePause(false))
	rt.add(post, "/recordings/live/{recordingName}/mute", s.handleLiveMute(true))
	rt.add(del, "/recordings/live/{recordingName}/mute", s.handleLiveMute(false))

	rt.add(get, "/endpoints", s.handleEndpointList)
	rt.add(get, "/endpoints/{tech}", s.handleEndpointListByTech)
	rt.add(get, "/endpoints/{tech}/{resource}", s.handleEndpointGet)

	rt.add(get, "/sounds", s.handleSoundList)
	rt.add(get, "/sounds/{soundId}", s.handleSoundGet)
}
