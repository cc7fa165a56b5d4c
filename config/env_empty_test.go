package config

import "testing"

// An environment override set to the empty string takes effect: it turns
// off what the file or the defaults turn on.
func TestAnEnvironmentOverrideSetToTheEmptyStringTakesEffect(t *testing.T) {
	t.Setenv("HOTLINE_SIP_PROBE_TARGET", "")
	t.Setenv("HOTLINE_APPEALS_SOS_WEBHOOK_URL", "")
	cfg, err := Load("hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SIP.ProbeTarget != "" {
		t.Errorf("sip.probe_target with HOTLINE_SIP_PROBE_TARGET=\"\": %q, want it off", cfg.SIP.ProbeTarget)
	}
	if cfg.Appeals.SOSWebhookURL != "" {
		t.Errorf("appeals.sos_webhook_url with HOTLINE_APPEALS_SOS_WEBHOOK_URL=\"\": %q", cfg.Appeals.SOSWebhookURL)
	}
}
