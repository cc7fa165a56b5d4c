package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	ariclient "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
)

// rest wraps the ari/v5 native client's REST calls with a context and a
// timeout: the client has neither, and a call goroutine must never hang on a
// stuck Asterisk. A request that outlives its timeout is abandoned (its
// goroutine ends when the HTTP request does).
type rest struct {
	client  *native.Client
	opts    native.Options // for the few requests the client's models cannot express
	http    *http.Client
	timeout time.Duration
	fence   func() error // nil: always allowed (see fence.go)
}

// ErrNotFound is Asterisk's 404: the channel, playback or recording is gone.
var ErrNotFound = errors.New("not found in Asterisk")

// ErrConflict is Asterisk's 409: e.g. the channel is not in a Stasis application.
var ErrConflict = errors.New("conflict in Asterisk")

func newREST(opts *native.Options, timeout time.Duration) *rest {
	return &rest{client: native.New(opts), opts: *opts, http: &http.Client{}, timeout: timeout}
}

// do runs fn bounded by ctx and the request timeout, translating Asterisk's
// status codes into sentinel errors.
func (r *rest) do(ctx context.Context, what string, fn func() error) error {
	if err := r.checkFence(what); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- fn() }()
	select {
	case err := <-errc:
		if err == nil {
			return nil
		}
		var re native.RequestError
		if errors.As(err, &re) {
			switch re.Code() {
			case 404:
				return fmt.Errorf("%s: %w", what, ErrNotFound)
			case 409, 412:
				return fmt.Errorf("%s: %w", what, ErrConflict)
			}
		}
		return fmt.Errorf("%s: %w", what, err)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
}

func (r *rest) answer(ctx context.Context, channelID string) error {
	return r.do(ctx, "answer "+channelID, func() error {
		return r.client.Channel().Answer(ariclient.NewKey(ariclient.ChannelKey, channelID))
	})
}

func (r *rest) hangup(ctx context.Context, channelID, reason string) error {
	return r.do(ctx, "hang up "+channelID, func() error {
		return r.client.Channel().Hangup(ariclient.NewKey(ariclient.ChannelKey, channelID), reason)
	})
}

// continueInDialplan hands the channel back to the dialplan (it leaves Stasis).
func (r *rest) continueInDialplan(ctx context.Context, channelID, dialplanContext string) error {
	return r.do(ctx, "continue "+channelID, func() error {
		return r.client.Channel().Continue(ariclient.NewKey(ariclient.ChannelKey, channelID), dialplanContext, "s", 1)
	})
}

func (r *rest) play(ctx context.Context, channelID, playbackID, media string) error {
	return r.do(ctx, "play "+media+" on "+channelID, func() error {
		_, err := r.client.Channel().Play(ariclient.NewKey(ariclient.ChannelKey, channelID), playbackID, media)
		return err
	})
}

func (r *rest) stopPlayback(ctx context.Context, playbackID string) error {
	return r.do(ctx, "stop playback "+playbackID, func() error {
		return r.client.Playback().Stop(ariclient.NewKey(ariclient.PlaybackKey, playbackID))
	})
}

func (r *rest) playbackExists(ctx context.Context, playbackID string) (bool, error) {
	err := r.do(ctx, "get playback "+playbackID, func() error {
		_, err := r.client.Playback().Data(ariclient.NewKey(ariclient.PlaybackKey, playbackID))
		return unwrapDataErr(err)
	})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (r *rest) record(ctx context.Context, channelID, name string, opts *ariclient.RecordingOptions) error {
	return r.do(ctx, "record "+name+" on "+channelID, func() error {
		_, err := r.client.Channel().Record(ariclient.NewKey(ariclient.ChannelKey, channelID), name, opts)
		return err
	})
}

func (r *rest) stopRecording(ctx context.Context, name string) error {
	return r.do(ctx, "stop recording "+name, func() error {
		return r.client.LiveRecording().Stop(ariclient.NewKey(ariclient.LiveRecordingKey, name))
	})
}

func (r *rest) channelExists(ctx context.Context, channelID string) (bool, error) {
	err := r.do(ctx, "get channel "+channelID, func() error {
		_, err := r.client.Channel().Data(ariclient.NewKey(ariclient.ChannelKey, channelID))
		return unwrapDataErr(err)
	})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// channel returns a channel's current data.
func (r *rest) channel(ctx context.Context, channelID string) (*ariclient.ChannelData, error) {
	var data *ariclient.ChannelData
	err := r.do(ctx, "get channel "+channelID, func() error {
		var err error
		data, err = r.client.Channel().Data(ariclient.NewKey(ariclient.ChannelKey, channelID))
		return unwrapDataErr(err)
	})
	return data, err
}

// channelInApp returns a channel's current data and the dialplan
// application it is executing with that application's data, e.g. "Stasis"
// and "hotline,feature,login" (as an unownedChannel: it is read for those). ari/v5's model of the channel lacks
// dialplan.app_name and app_data, so this GET is decoded here.
func (r *rest) channelInApp(ctx context.Context, channelID string) (unownedChannel, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	what := "get channel " + channelID
	if err := r.checkFence(what); err != nil {
		return unownedChannel{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(r.opts.URL, "/")+"/channels/"+url.PathEscape(channelID), nil)
	if err != nil {
		return unownedChannel{}, fmt.Errorf("%s: %w", what, err)
	}
	req.SetBasicAuth(r.opts.Username, r.opts.Password)
	resp, err := r.http.Do(req)
	if err != nil {
		return unownedChannel{}, fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return unownedChannel{}, fmt.Errorf("%s: %w", what, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return unownedChannel{}, fmt.Errorf("%s: %w", what, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return unownedChannel{}, fmt.Errorf("%s: %s: %s", what, resp.Status, bytes.TrimSpace(body))
	}
	var data ariclient.ChannelData
	var extra struct {
		Dialplan struct {
			AppName string `json:"app_name"`
			AppData string `json:"app_data"`
		} `json:"dialplan"`
	}
	if err := json.Unmarshal(body, &data); err != nil {
		return unownedChannel{}, fmt.Errorf("%s: decode: %w", what, err)
	}
	if err := json.Unmarshal(body, &extra); err != nil {
		return unownedChannel{}, fmt.Errorf("%s: decode: %w", what, err)
	}
	return unownedChannel{data: &data, appName: extra.Dialplan.AppName, appData: extra.Dialplan.AppData}, nil
}

// stasisArgs are the arguments a channel running Stasis(app,arg1,…) was
// given (ok is false when it runs another application or another app's
// Stasis). Asterisk splits the data on commas, as here.
func stasisArgs(appName, appData, app string) (args []string, ok bool) {
	if !strings.EqualFold(appName, "Stasis") {
		return nil, false
	}
	parts := strings.Split(appData, ",")
	if strings.TrimSpace(parts[0]) != app {
		return nil, false
	}
	args = []string{}
	for _, p := range parts[1:] {
		args = append(args, strings.TrimSpace(p))
	}
	return args, true
}

// appChannels lists the channels that are in the Stasis application now.
func (r *rest) appChannels(ctx context.Context, app string) ([]string, error) {
	var ids []string
	err := r.do(ctx, "get application "+app, func() error {
		data, err := r.client.Application().Data(ariclient.NewKey(ariclient.ApplicationKey, app))
		if err != nil {
			return unwrapDataErr(err)
		}
		ids = data.ChannelIDs
		return nil
	})
	return ids, err
}

// ping checks that Asterisk answers REST requests.
func (r *rest) ping(ctx context.Context) error {
	return r.do(ctx, "asterisk info", func() error {
		_, err := r.client.Asterisk().Info(nil)
		return err
	})
}

// unwrapDataErr digs the status-code error out of the client's Data wrappers,
// which hide it behind types that errors.As cannot see through.
func unwrapDataErr(err error) error {
	for e := err; e != nil; {
		if re, ok := e.(native.RequestError); ok {
			return re
		}
		c, ok := e.(interface{ Cause() error })
		if !ok {
			u := errors.Unwrap(e)
			if u == nil {
				break
			}
			e = u
			continue
		}
		e = c.Cause()
	}
	return err
}

func (r *rest) startMOH(ctx context.Context, channelID, class string) error {
	return r.do(ctx, "start MOH on "+channelID, func() error {
		return r.client.Channel().MOH(ariclient.NewKey(ariclient.ChannelKey, channelID), class)
	})
}

func (r *rest) stopMOH(ctx context.Context, channelID string) error {
	return r.do(ctx, "stop MOH on "+channelID, func() error {
		return r.client.Channel().StopMOH(ariclient.NewKey(ariclient.ChannelKey, channelID))
	})
}

// liveRecordingExists reports whether a recording is still in progress.
func (r *rest) liveRecordingExists(ctx context.Context, name string) (bool, error) {
	err := r.do(ctx, "get live recording "+name, func() error {
		_, err := r.client.LiveRecording().Data(ariclient.NewKey(ariclient.LiveRecordingKey, name))
		return unwrapDataErr(err)
	})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
