package sso_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/apptest"
)

// The connector endpoints through the whole stack (TCP on loopback, router,
// bearer authentication with a database lookup, permission check, SQLite
// query, JSON envelope), next to a bare net/http handler that writes the
// same bytes: the reference measured in the same run. Rerun with
//
//	go test -run '^$' -bench 'Connector' -benchtime 3s ./internal/sso/
//
// and compare ns/op (or req/s) of each endpoint with BareHandler.

func benchEnv(b *testing.B) (*apptest.Env, string, []byte) {
	env := apptest.New(b)
	r := env.Do("POST", "/accounts/"+env.AccountID+"/sso_connectors", env.Token, `{"email_domain":"acmecorp.company"}`)
	if r.Status != 200 {
		b.Fatalf("create: %s", r.Body)
	}
	id := r.JSON(b)["result"].(map[string]any)["id"].(string)
	// One DNS check, so the connector carries name-server answers as real
	// pending connectors do.
	env.DNS.AddZone("acmecorp.company", "ns1.acmecorp.company")
	env.Do("POST", "/accounts/"+env.AccountID+"/sso_connectors/"+id+"/begin_verification", env.Token, nil)
	get := env.Do("GET", "/accounts/"+env.AccountID+"/sso_connectors/"+id, env.Token, nil)
	return env, id, get.Body
}

func runParallel(b *testing.B, client *http.Client, newReq func(i int64) *http.Request) {
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Do(newReq(n.Add(1)))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkConnectorBareHandler(b *testing.B) {
	_, _, body := benchEnv(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	runParallel(b, srv.Client(), func(int64) *http.Request {
		req, _ := http.NewRequest("GET", srv.URL+"/client/v4/accounts/x/sso_connectors/y", nil)
		req.Header.Set("Authorization", "Bearer x")
		return req
	})
}

func BenchmarkConnectorGet(b *testing.B) {
	env, id, _ := benchEnv(b)
	url := env.APIURL + "/accounts/" + env.AccountID + "/sso_connectors/" + id
	runParallel(b, env.Server.Client(), func(int64) *http.Request {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+env.Token)
		return req
	})
}

func BenchmarkConnectorList(b *testing.B) {
	env, _, _ := benchEnv(b)
	for i := 1; i < 10; i++ { // ten connectors in the list
		r := env.Do("POST", "/accounts/"+env.AccountID+"/sso_connectors", env.Token, `{"email_domain":"acme`+string(rune('a'+i))+`.company"}`)
		if r.Status != 200 {
			b.Fatal(string(r.Body))
		}
	}
	url := env.APIURL + "/accounts/" + env.AccountID + "/sso_connectors"
	runParallel(b, env.Server.Client(), func(int64) *http.Request {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+env.Token)
		return req
	})
}

func BenchmarkConnectorCreate(b *testing.B) {
	env, _, _ := benchEnv(b)
	url := env.APIURL + "/accounts/" + env.AccountID + "/sso_connectors"
	runParallel(b, env.Server.Client(), func(i int64) *http.Request {
		body := `{"email_domain":"bench` + itoa(i) + `.example.com"}`
		req, _ := http.NewRequestWithContext(context.Background(), "POST", url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+env.Token)
		req.Header.Set("Content-Type", "application/json")
		return req
	})
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// BenchmarkConnectorGetVsBare interleaves one request to the bare handler
// and one GET through the whole stack per iteration, so both see the same
// machine at the same moment (this machine is shared and noisy), and
// reports the GET's throughput as a percentage of the bare handler's.
// The target is ≥ 50%.
func BenchmarkConnectorGetVsBare(b *testing.B) {
	env, id, body := benchEnv(b)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer bare.Close()
	get := env.APIURL + "/accounts/" + env.AccountID + "/sso_connectors/" + id
	do := func(client *http.Client, url string) time.Duration {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+env.Token)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return time.Since(start)
	}
	var bareTotal, getTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bareTotal += do(bare.Client(), bare.URL)
		getTotal += do(env.Server.Client(), get)
	}
	b.ReportMetric(float64(bareTotal.Nanoseconds())/float64(b.N), "bare-ns/req")
	b.ReportMetric(float64(getTotal.Nanoseconds())/float64(b.N), "get-ns/req")
	b.ReportMetric(100*float64(bareTotal)/float64(getTotal), "%-of-bare")
}
