package apiauth_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slobozhanske/hotline/internal/apiauth"
)

func TestABearerTokenNamesItsUserAndRole(t *testing.T) {
	tokens, err := apiauth.NewTokens([]apiauth.Token{
		{User: "olena", Role: "supervisor", Token: "s3cret-olena"},
		{User: "vk1", Role: "executor", Executor: "vodokanal", Token: "s3cret-vk1"},
	}, func(code string) bool { return code == "vodokanal" })
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		header string
		want   apiauth.Actor
		ok     bool
	}{
		{"Bearer s3cret-olena", apiauth.Actor{User: "olena", Role: apiauth.RoleSupervisor}, true},
		{"bearer s3cret-vk1", apiauth.Actor{User: "vk1", Role: apiauth.RoleExecutor, Executor: "vodokanal"}, true},
		{"Bearer s3cret-nobody", apiauth.Actor{}, false},
		{"Basic s3cret-olena", apiauth.Actor{}, false},
		{"", apiauth.Actor{}, false},
	} {
		r := httptest.NewRequest("GET", "/api/v1/appeals", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		got, ok := tokens.Authenticate(r)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: %+v %v, want %+v %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBadTokensAreRefusedNamingTheUser(t *testing.T) {
	known := func(code string) bool { return code == "vodokanal" }
	for _, tc := range []struct {
		tokens []apiauth.Token
		want   string
	}{
		{[]apiauth.Token{{Role: "admin", Token: "x"}}, "user is empty"},
		{[]apiauth.Token{{User: "a", Role: "root", Token: "x"}}, `unknown role "root"`},
		{[]apiauth.Token{{User: "a", Role: "admin"}}, "token is empty"},
		{[]apiauth.Token{{User: "a", Role: "executor", Executor: "nasa", Token: "x"}}, `executor "nasa" is not in the classifier`},
		{[]apiauth.Token{{User: "a", Role: "operator", Executor: "vodokanal", Token: "x"}}, "only executors"},
		{[]apiauth.Token{{User: "a", Role: "admin", Token: "x"}, {User: "b", Role: "admin", Token: "x"}}, "api token of b: the same token is given twice"},
	} {
		_, err := apiauth.NewTokens(tc.tokens, known)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.tokens, err, tc.want)
		}
	}
}
