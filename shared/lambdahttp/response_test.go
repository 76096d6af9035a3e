package lambdahttp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/heraldrt/herald/shared/lambdahttp"
)

// answering returns a handler that sets two cookies, a repeated header and
// the given body and content type, with status 201.
func answering(ct string, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Set-Cookie", "a=1; Path=/")
		h.Add("Set-Cookie", "b=2; Path=/")
		h.Add("Vary", "Origin")
		h.Add("Vary", "Accept")
		h.Set("Content-Type", ct)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	})
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode invokes h with payload and decodes the answer.
func decode[T any](t *testing.T, h *lambdahttp.Handler, payload []byte) T {
	t.Helper()
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var v T
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	return v
}

func TestALBAnswerMultiValue(t *testing.T) {
	h := lambdahttp.New(answering("application/json", []byte(`{"ok":true}`)), nil)
	a := decode[lambdahttp.ALBResponse](t, h, fixture(t, "alb_send_multivalue.json"))
	check(t, "status", a.StatusCode, 201)
	check(t, "description", a.StatusDescription, "201 Created")
	check(t, "cookies", a.MultiValueHeaders["Set-Cookie"], []string{"a=1; Path=/", "b=2; Path=/"})
	check(t, "vary", a.MultiValueHeaders["Vary"], []string{"Origin", "Accept"})
	check(t, "text body", a.Body, `{"ok":true}`)
	check(t, "not base64", a.IsBase64Encoded, false)
}

func TestALBAnswerSingleValue(t *testing.T) {
	h := lambdahttp.New(answering("text/plain; charset=utf-8", []byte("héllo")), nil)
	a := decode[lambdahttp.ALBResponse](t, h, fixture(t, "alb_negotiate_single.json"))
	check(t, "joined", a.Headers["Vary"], "Origin, Accept")
	check(t, "one cookie", a.Headers["Set-Cookie"], "b=2; Path=/")
	check(t, "body", a.Body, "héllo")
}

func TestBinaryAnswerIsBase64(t *testing.T) {
	bin := []byte{0x92, 0x01, 0xa3, 'h', 'i', 0xff}
	h := lambdahttp.New(answering("application/x-msgpack", bin), nil)
	a := decode[lambdahttp.ALBResponse](t, h, fixture(t, "alb_send_multivalue.json"))
	check(t, "base64", a.IsBase64Encoded, true)
	got, err := base64.StdEncoding.DecodeString(a.Body)
	check(t, "body", got, bin)
	check(t, "decodes", err, nil)
}

func TestV2Answer(t *testing.T) {
	h := lambdahttp.New(answering("application/octet-stream", []byte{1, 2, 3}), nil)
	a := decode[lambdahttp.V2Response](t, h, fixture(t, "apigw_v2_stage.json"))
	check(t, "status", a.StatusCode, 201)
	check(t, "cookies", a.Cookies, []string{"a=1; Path=/", "b=2; Path=/"})
	check(t, "no Set-Cookie header", a.Headers["Set-Cookie"], "")
	check(t, "vary", a.Headers["Vary"], "Origin, Accept")
	check(t, "base64", a.IsBase64Encoded, true)
	check(t, "body", a.Body, base64.StdEncoding.EncodeToString([]byte{1, 2, 3}))
}

func TestEmptyAnswerDefaults(t *testing.T) {
	h := lambdahttp.New(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), nil)
	a := decode[lambdahttp.ALBResponse](t, h, fixture(t, "alb_negotiate_single.json"))
	check(t, "status", a.StatusCode, 200)
	check(t, "body", a.Body, "")
}

func TestPanicIs500(t *testing.T) {
	h := lambdahttp.New(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Partial", "1")
		panic("boom")
	}), nil)
	a := decode[lambdahttp.ALBResponse](t, h, fixture(t, "alb_negotiate_single.json"))
	check(t, "status", a.StatusCode, 500)
	check(t, "partial headers dropped", a.Headers["X-Partial"], "")
}

func TestBadEvents(t *testing.T) {
	h := lambdahttp.New(probe(t), nil)
	for _, payload := range []string{
		`not json`,
		`{"httpMethod":"GET","path":"/"}`,      // no requestContext.elb
		`{"version":"1.0","httpMethod":"GET"}`, // payload 1.0 is not supported
		`{"version":"2.0","rawPath":"/api/x"}`, // no requestContext.http
	} {
		if _, err := h.Invoke(context.Background(), []byte(payload)); !errors.Is(err, lambdahttp.ErrEvent) {
			t.Errorf("%s: err %v, want ErrEvent", payload, err)
		}
	}
	for _, payload := range []string{
		`{"requestContext":{"elb":{}},"httpMethod":"POST","path":"/api","body":"%%%","isBase64Encoded":true}`,
		`{"requestContext":{"elb":{}},"httpMethod":"GE T","path":"/api"}`,
		`{"requestContext":{"elb":{}},"httpMethod":"GET","path":"api"}`,
		`{"requestContext":{"elb":{}},"httpMethod":"GET","path":"/a%zz"}`,
	} {
		a := decode[lambdahttp.ALBResponse](t, h, []byte(payload))
		if a.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", payload, a.StatusCode)
		}
	}
}

// A HEAD answer carries no body, whatever the handler wrote (net/http's
// server drops it too): the REST existence checks answer HEAD with a JSON
// error body, and a body on a HEAD response corrupts the caller's
// connection.
func TestHeadAnswerHasNoBody(t *testing.T) {
	h := lambdahttp.New(answering("application/json", []byte(`{"code":"Warning.User.NotExisted"}`)), nil)
	alb := []byte(`{"requestContext":{"elb":{"targetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"}},
		"httpMethod":"HEAD","path":"/api/hubs/chat/users/u1","multiValueHeaders":{"host":["h"]},"body":"","isBase64Encoded":false}`)
	a := decode[lambdahttp.ALBResponse](t, h, alb)
	check(t, "status", a.StatusCode, 201)
	check(t, "body", a.Body, "")
	check(t, "base64", a.IsBase64Encoded, false)
	check(t, "content type", a.MultiValueHeaders["Content-Type"], []string{"application/json"})
	v2 := []byte(`{"version":"2.0","rawPath":"/api/hubs/chat/users/u1","rawQueryString":"","headers":{"host":"h"},
		"requestContext":{"http":{"method":"HEAD","path":"/api/hubs/chat/users/u1","sourceIp":"192.0.2.1"},"domainName":"h","stage":"$default"},"body":"","isBase64Encoded":false}`)
	r := decode[lambdahttp.V2Response](t, h, v2)
	check(t, "v2 status", r.StatusCode, 201)
	check(t, "v2 body", r.Body, "")
}
