package aritest

import (
	"net/http"
	"runtime"
	"sort"
	"strings"
	"time"
)

// handleInfo is GET /asterisk/info, optionally filtered by only=build,system,config,status.
func (s *Server) handleInfo(rq *request) response {
	want := map[string]bool{}
	for _, o := range rq.list("only") {
		switch o {
		case "build", "system", "config", "status":
			want[o] = true
		default:
			return fail(http.StatusBadRequest, "Invalid only parameter %s", o)
		}
	}
	all := len(want) == 0
	var info asteriskInfoJSON
	if all || want["build"] {
		info.Build = &buildInfoJSON{OS: "Linux", Kernel: "6.1.0", Options: "", Machine: runtime.GOARCH,
			Date: "2026-01-01 00:00:00 UTC", User: "aritest"}
	}
	if all || want["system"] {
		info.System = &systemInfoJSON{Version: AsteriskVersion, EntityID: s.opts.EntityID}
	}
	if all || want["config"] {
		info.Config = &configInfoJSON{Name: s.opts.SystemName, DefaultLanguage: s.opts.Language,
			SetID: setIDJSON{User: "asterisk", Group: "asterisk"}}
	}
	if all || want["status"] {
		info.Status = &statusInfoJSON{StartupTime: ariTime(s.started), LastReloadTime: ariTime(s.started)}
	}
	return ok(info)
}

func (s *Server) handlePing(*request) response {
	return ok(asteriskPingJSON{AsteriskID: s.opts.EntityID, Ping: "pong", Timestamp: ariTime(time.Now())})
}

func (s *Server) handleGlobalGet(rq *request) response {
	name := rq.str("variable")
	if name == "" {
		return fail(http.StatusBadRequest, "Variable name is required")
	}
	s.lock()
	defer s.unlock()
	return ok(variableJSON{Value: s.globals[name]})
}

func (s *Server) handleGlobalSet(rq *request) response {
	name := rq.str("variable")
	if name == "" {
		return fail(http.StatusBadRequest, "Variable name is required")
	}
	s.lock()
	defer s.unlock()
	s.globals[name] = rq.str("value")
	return noContent()
}

func (s *Server) soundJSON(id string) soundJSON {
	return soundJSON{ID: id, Formats: []formatLangJSON{{Language: s.opts.Language, Format: "wav"}}}
}

// handleSoundList lists Options.Sounds (filtered by lang and format).
func (s *Server) handleSoundList(rq *request) response {
	lang, format := rq.str("lang"), rq.str("format")
	out := []soundJSON{}
	if (lang != "" && lang != s.opts.Language) || (format != "" && format != "wav") {
		return ok(out)
	}
	ids := make([]string, 0, len(s.opts.Sounds))
	for id := range s.opts.Sounds {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out = append(out, s.soundJSON(id))
	}
	return ok(out)
}

func (s *Server) handleSoundGet(rq *request) response {
	id := strings.TrimPrefix(rq.path["soundId"], "sound:")
	if _, found := s.opts.Sounds[id]; !found {
		return fail(http.StatusNotFound, "Sound not found")
	}
	return ok(s.soundJSON(id))
}
