package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"
)

const apiLong = "PATH is under the API base URL, e.g. /accounts/$CLOUDFLARE_ACCOUNT_ID/access/apps;\n" +
	"--data JSON|@FILE|- sends a body."

// setupAPI is `ssogate api METHOD PATH [--data JSON]`: one request to any
// route of the API with the token and base URL the other commands use,
// like `gh api`. The result is printed as JSON (so --field captures an
// id); notes go to stderr and an API error exits 1, as everywhere.
func setupAPI(env *Env, fs *pflag.FlagSet) runFunc {
	var f apiFlags
	var data string
	f.register(fs, accountIgnored)
	fs.StringVar(&data, "data", "", "the request body: JSON, @FILE to read it from a file, or - for standard input")
	return func(ctx context.Context, pos []string) error {
		method, path, err := apiTarget(pos)
		if err != nil {
			return err
		}
		body, err := requestBody(data, env)
		if err != nil {
			return err
		}
		f.asJSON = true // the answer is JSON whatever the flags say
		s, err := f.connect(env)
		if err != nil {
			return err
		}
		var opts []option.RequestOption
		if body != nil {
			opts = append(opts, option.WithRequestBody("application/json", body))
		}
		var raw []byte
		if err := s.client.Execute(ctx, method, path, nil, &raw, opts...); err != nil {
			return s.apiFailure(method+" "+path, err)
		}
		result := gjson.GetBytes(raw, "result")
		if !result.Exists() {
			return nil // e.g. begin_verification: an envelope without a result
		}
		return f.printJSON(env.Stdout, result.Raw)
	}
}

// apiTarget checks METHOD and PATH; a path may be given with or without
// the base URL's /client/v4.
func apiTarget(pos []string) (method, path string, err error) {
	if len(pos) != 2 {
		return "", "", usageError("want METHOD and PATH, e.g. ssogate api GET /accounts")
	}
	method = strings.ToUpper(pos[0])
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return "", "", usageError("method %q: want GET, POST, PUT, PATCH or DELETE", pos[0])
	}
	path = strings.TrimPrefix(pos[1], "/client/v4")
	if !strings.HasPrefix(path, "/") || strings.Contains(path, "://") {
		return "", "", usageError("path %q: want a path under the API base URL, starting with /, e.g. /accounts", pos[1])
	}
	return method, strings.TrimPrefix(path, "/"), nil
}

// requestBody reads --data and checks it is JSON before anything is sent.
func requestBody(data string, env *Env) ([]byte, error) {
	var b []byte
	switch {
	case data == "":
		return nil, nil
	case data == "-":
		in := env.Stdin
		if in == nil {
			in = os.Stdin
		}
		var err error
		if b, err = io.ReadAll(in); err != nil {
			return nil, usageError("--data -: %v", err)
		}
	case strings.HasPrefix(data, "@"):
		var err error
		if b, err = os.ReadFile(data[1:]); err != nil {
			return nil, usageError("--data: %v", err)
		}
	default:
		b = []byte(data)
	}
	if !json.Valid(b) {
		return nil, usageError("--data is not valid JSON: %s", jsonError(b))
	}
	return b, nil
}

// jsonError says where JSON stops being valid.
func jsonError(b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d bytes", len(b))
}
