package access_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
)

// selfSignedPEM is a throwaway CA certificate in PEM.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// origin_request is kept as written, replaced as a whole by an update
// that sends it and untouched by one that does not.
func TestOriginRequestStored(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	base := "/accounts/" + env.AccountID + "/access/apps"
	ca := selfSignedPEM(t)
	caJSON, _ := json.Marshal(ca)
	created := resultOf(t, env.Do("POST", base, env.Token, `{"type":"self_hosted","name":"Wiki","domain":"wiki.acmecorp.company",
		"origin_url":"https://10.0.0.5:8443","origin_request":{"connect_timeout":5,"ca_pool":`+string(caJSON)+`,
		"origin_server_name":"wiki.internal","http2_origin":true,"keep_alive_connections":64}}`), 201)
	want := map[string]any{"connect_timeout": 5.0, "ca_pool": ca, "origin_server_name": "wiki.internal", "http2_origin": true,
		"keep_alive_connections": 64.0}
	if diff := cmp.Diff(want, created["origin_request"]); diff != "" {
		t.Errorf("created origin_request (-want +got):\n%s", diff)
	}
	id := created["id"].(string)
	renamed := resultOf(t, env.Do("PUT", base+"/"+id, env.Token, `{"name":"Wiki 2"}`), 200)
	if diff := cmp.Diff(want, renamed["origin_request"]); diff != "" {
		t.Errorf("after an update without it (-want +got):\n%s", diff)
	}
	replaced := resultOf(t, env.Do("PUT", base+"/"+id, env.Token, `{"origin_request":{"no_tls_verify":true}}`), 200)
	if diff := cmp.Diff(map[string]any{"no_tls_verify": true}, replaced["origin_request"]); diff != "" {
		t.Errorf("replaced (-want +got):\n%s", diff)
	}
	cleared := resultOf(t, env.Do("PUT", base+"/"+id, env.Token, `{"origin_request":{}}`), 200)
	if v, ok := cleared["origin_request"]; ok {
		t.Errorf("cleared origin_request still shows: %v", v)
	}
}

// Bad origin settings are refused on write with a 400 naming the field.
func TestOriginRequestRefused(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	base := "/accounts/" + env.AccountID + "/access/apps"
	ca, _ := json.Marshal(selfSignedPEM(t))
	key, _ := json.Marshal("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
	for _, tc := range []struct {
		name, origin, settings, pointer string
	}{
		{"negative timeout", "https://10.0.0.5", `{"connect_timeout":-1}`, "/origin_request/connect_timeout"},
		{"timeout too long", "https://10.0.0.5", `{"connect_timeout":301}`, "/origin_request/connect_timeout"},
		{"response timeout too long", "https://10.0.0.5", `{"response_timeout":3601}`, "/origin_request/response_timeout"},
		{"too many idle connections", "https://10.0.0.5", `{"keep_alive_connections":5000}`, "/origin_request/keep_alive_connections"},
		{"duration as a string", "https://10.0.0.5", `{"connect_timeout":"30s"}`, "origin_request"},
		{"unknown field", "https://10.0.0.5", `{"noTLSVerify":true}`, "noTLSVerify"},
		{"CA not PEM", "https://10.0.0.5", `{"ca_pool":"not a certificate"}`, "/origin_request/ca_pool"},
		{"CA is a key", "https://10.0.0.5", `{"ca_pool":` + string(key) + `}`, "/origin_request/ca_pool"},
		{"CA with trailing junk", "https://10.0.0.5", `{"ca_pool":` + strings.Replace(string(ca), `-----\n"`, `-----\njunk"`, 1) + `}`, "/origin_request/ca_pool"},
		{"server name with a space", "https://10.0.0.5", `{"origin_server_name":"wiki internal"}`, "/origin_request/origin_server_name"},
		{"server name an IP", "https://10.0.0.5", `{"origin_server_name":"10.0.0.5"}`, "/origin_request/origin_server_name"},
		{"host header with a path", "https://10.0.0.5", `{"http_host_header":"wiki.internal/x"}`, "/origin_request/http_host_header"},
		{"CA on plain http", "http://10.0.0.5", `{"ca_pool":` + string(ca) + `}`, "/origin_request/ca_pool"},
		{"HTTP/2 on plain http", "http://10.0.0.5", `{"http2_origin":true}`, "/origin_request/http2_origin"},
		{"no verify and a CA", "https://10.0.0.5", `{"no_tls_verify":true,"ca_pool":` + string(ca) + `}`, "/origin_request/no_tls_verify"},
		{"no origin_url", "", `{"connect_timeout":5}`, "/origin_request"},
	} {
		origin := ""
		if tc.origin != "" {
			origin = `"origin_url":"` + tc.origin + `",`
		}
		r := env.Do("POST", base, env.Token, `{"type":"self_hosted","name":"x","domain":"x.acmecorp.company",`+origin+
			`"origin_request":`+tc.settings+`}`)
		if r.Status != 400 || !strings.Contains(string(r.Body), tc.pointer) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	r := env.Do("POST", base, env.Token, `{"type":"bookmark","name":"b","domain":"https://b.example","origin_request":{"connect_timeout":5}}`)
	if r.Status != 400 || !strings.Contains(string(r.Body), "/origin_request") {
		t.Errorf("bookmark with origin_request: %d %s", r.Status, r.Body)
	}
}
