package aritest

import (
	"strings"
	"time"
)

// ariTimeFormat is Asterisk's JSON date format: 2026-11-23T10:00:00.000+0000.
const ariTimeFormat = "2006-01-02T15:04:05.000-0700"

func ariTime(t time.Time) string { return t.Format(ariTimeFormat) }

// The JSON models below follow the spec's models (field names, types,
// required fields). Optional fields are omitted when empty, as Asterisk does.

type callerJSON struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

type dialplanJSON struct {
	Context  string `json:"context"`
	Exten    string `json:"exten"`
	Priority int64  `json:"priority"`
	AppName  string `json:"app_name"`
	AppData  string `json:"app_data"`
}

type channelJSON struct {
	ID           string            `json:"id"`
	ProtocolID   string            `json:"protocol_id"`
	Name         string            `json:"name"`
	State        string            `json:"state"`
	Caller       callerJSON        `json:"caller"`
	Connected    callerJSON        `json:"connected"`
	AccountCode  string            `json:"accountcode"`
	Dialplan     dialplanJSON      `json:"dialplan"`
	CreationTime string            `json:"creationtime"`
	Language     string            `json:"language"`
	ChannelVars  map[string]string `json:"channelvars,omitempty"`
}

type bridgeJSON struct {
	ID           string   `json:"id"`
	Technology   string   `json:"technology"`
	BridgeType   string   `json:"bridge_type"`
	BridgeClass  string   `json:"bridge_class"`
	Creator      string   `json:"creator"`
	Name         string   `json:"name"`
	Channels     []string `json:"channels"`
	VideoMode    string   `json:"video_mode,omitempty"`
	CreationTime string   `json:"creationtime"`
}

type playbackJSON struct {
	ID           string `json:"id"`
	MediaURI     string `json:"media_uri"`
	NextMediaURI string `json:"next_media_uri,omitempty"`
	TargetURI    string `json:"target_uri"`
	Language     string `json:"language,omitempty"`
	State        string `json:"state"`
}

type liveRecordingJSON struct {
	Name            string `json:"name"`
	Format          string `json:"format"`
	TargetURI       string `json:"target_uri"`
	State           string `json:"state"`
	Duration        *int   `json:"duration,omitempty"`
	TalkingDuration *int   `json:"talking_duration,omitempty"`
	SilenceDuration *int   `json:"silence_duration,omitempty"`
	Cause           string `json:"cause,omitempty"`
}

type storedRecordingJSON struct {
	Name   string `json:"name"`
	Format string `json:"format"`
}

type endpointJSON struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state,omitempty"`
	ChannelIDs []string `json:"channel_ids"`
}

type applicationJSON struct {
	Name             string           `json:"name"`
	ChannelIDs       []string         `json:"channel_ids"`
	BridgeIDs        []string         `json:"bridge_ids"`
	EndpointIDs      []string         `json:"endpoint_ids"`
	DeviceNames      []string         `json:"device_names"`
	EventsAllowed    []map[string]any `json:"events_allowed"`
	EventsDisallowed []map[string]any `json:"events_disallowed"`
}

type variableJSON struct {
	Value string `json:"value"`
}

type formatLangJSON struct {
	Language string `json:"language"`
	Format   string `json:"format"`
}

type soundJSON struct {
	ID      string           `json:"id"`
	Text    string           `json:"text,omitempty"`
	Formats []formatLangJSON `json:"formats"`
}

type buildInfoJSON struct {
	OS      string `json:"os"`
	Kernel  string `json:"kernel"`
	Options string `json:"options"`
	Machine string `json:"machine"`
	Date    string `json:"date"`
	User    string `json:"user"`
}

type systemInfoJSON struct {
	Version  string `json:"version"`
	EntityID string `json:"entity_id"`
}

type setIDJSON struct {
	User  string `json:"user"`
	Group string `json:"group"`
}

type configInfoJSON struct {
	Name            string    `json:"name"`
	DefaultLanguage string    `json:"default_language"`
	MaxChannels     int       `json:"max_channels,omitempty"`
	SetID           setIDJSON `json:"setid"`
}

type statusInfoJSON struct {
	StartupTime    string `json:"startup_time"`
	LastReloadTime string `json:"last_reload_time"`
}

type asteriskInfoJSON struct {
	Build  *buildInfoJSON  `json:"build,omitempty"`
	System *systemInfoJSON `json:"system,omitempty"`
	Config *configInfoJSON `json:"config,omitempty"`
	Status *statusInfoJSON `json:"status,omitempty"`
}

type asteriskPingJSON struct {
	AsteriskID string `json:"asterisk_id"`
	Ping       string `json:"ping"`
	Timestamp  string `json:"timestamp"`
}

// AsteriskVersion is what /asterisk/info reports.
const AsteriskVersion = "22.10.1"

// Q.850 hangup causes Asterisk reports in ChannelDestroyed.cause.
const (
	CauseUnallocated       = 1
	CauseNoRoute           = 3
	CauseNormalClearing    = 16
	CauseUserBusy          = 17
	CauseNoUserResponse    = 18
	CauseNoAnswer          = 19
	CauseSubscriberAbsent  = 20
	CauseCallRejected      = 21
	CauseAnsweredElsewhere = 26
	CauseInvalidNumber     = 28
	CauseNormalUnspecified = 31
	CauseCongestion        = 34
	CauseFailure           = 38
	CauseBearerNotAvail    = 58
	CauseInterworking      = 127
)

// causeText is ast_cause2str's text for the causes above.
var causeText = map[int]string{
	CauseUnallocated:       "Unallocated (unassigned) number",
	CauseNoRoute:           "No route to destination",
	CauseNormalClearing:    "Normal Clearing",
	CauseUserBusy:          "User busy",
	CauseNoUserResponse:    "No user responding",
	CauseNoAnswer:          "User alerting, no answer",
	CauseSubscriberAbsent:  "Subscriber absent",
	CauseCallRejected:      "Call Rejected",
	CauseAnsweredElsewhere: "Answered elsewhere",
	CauseInvalidNumber:     "Invalid number format (incomplete number)",
	CauseNormalUnspecified: "Normal, unspecified",
	CauseCongestion:        "Circuit/channel congestion",
	CauseFailure:           "Network out of order",
	CauseBearerNotAvail:    "Bearer capability not available",
	CauseInterworking:      "Interworking, unspecified",
}

// CauseText returns Asterisk's text for a hangup cause ("Unknown" if unknown).
func CauseText(cause int) string {
	if t, ok := causeText[cause]; ok {
		return t
	}
	return "Unknown"
}

// sipCodeForCause is chan_pjsip's hangup_cause2sip: the SIP response a
// cause stands for, reported as ChannelDestroyed.tech_cause (trace 08, 12).
var sipCodeForCause = map[int]int{
	CauseUnallocated: 404, CauseNoRoute: 404, CauseCongestion: 503, CauseNoUserResponse: 408,
	CauseNoAnswer: 480, CauseSubscriberAbsent: 480, CauseCallRejected: 403, CauseNormalUnspecified: 480,
	CauseInvalidNumber: 484, CauseUserBusy: 486, CauseFailure: 500, CauseBearerNotAvail: 488,
	CauseInterworking: 500,
}

// hangupReasons maps DELETE /channels/{id}?reason= to causes, as
// convert_reason_to_hangup_code in res_ari_channels does.
var hangupReasons = map[string]int{
	"normal":             CauseNormalClearing,
	"busy":               CauseUserBusy,
	"congestion":         CauseCongestion,
	"no_answer":          CauseNoAnswer,
	"timeout":            CauseNoUserResponse,
	"rejected":           CauseCallRejected,
	"unallocated":        CauseUnallocated,
	"normal_unspecified": CauseNormalUnspecified,
	"number_incomplete":  CauseInvalidNumber,
	"codec_mismatch":     CauseBearerNotAvail,
	"interworking":       CauseInterworking,
	"failure":            CauseFailure,
	"answered_elsewhere": CauseAnsweredElsewhere,
}

// parseCallerID splits `"Name" <number>`, `Name <number>` or `number`.
func parseCallerID(s string) callerJSON {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "<"); i >= 0 && strings.HasSuffix(s, ">") {
		name := strings.Trim(strings.TrimSpace(s[:i]), `"`)
		return callerJSON{Name: name, Number: s[i+1 : len(s)-1]}
	}
	return callerJSON{Number: s}
}
