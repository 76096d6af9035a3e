package token_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/heraldrt/herald/shared/token"
)

func Example() {
	now := func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	const accessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

	// Negotiate issues a client token the way the Azure SDK does: the
	// audience drops the port and includes ?hub=.
	iss, err := token.NewIssuer(token.IssuerConfig{Key: accessKey, Now: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	raw, err := iss.Issue("http://localhost/client/?hub=chat", map[string]any{"asrs.s.uid": "alice"}, 0)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The gateway verifies it on POST /client/negotiate?hub=chat.
	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{accessKey}, Now: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("POST", "http://localhost:8888/client/negotiate?hub=chat", nil)
	r.Header.Set("Authorization", "Bearer "+raw)
	claims, err := v.Verify(token.FromRequest(r), token.Audience{Path: r.URL.Path, Hub: "chat", Hosts: []string{r.Host}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("user:", claims.UserID())

	// The same token does not open another hub.
	_, err = v.Verify(raw, token.Audience{Path: "/client/negotiate", Hub: "admin"})
	fmt.Println(errors.Is(err, token.ErrAudience))
	// Output:
	// user: alice
	// true
}

func ExampleVerifier_Verify() {
	now := func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	iss, _ := token.NewIssuer(token.IssuerConfig{Key: "secondary", Now: now})
	// A Management SDK REST token: port dropped, api-version in the audience.
	raw, _ := iss.Issue("https://herald.example/api/hubs/chat/users/a%40b/:send?api-version=2022-06-01", nil, 0)

	// Primary and secondary keys are both accepted.
	v, _ := token.NewVerifier(token.VerifierConfig{Keys: []string{"primary", "secondary"}, Now: now})
	_, err := v.Verify(raw, token.Audience{Path: "/prod/api/hubs/chat/users/a@b/:send", Hub: "chat"})
	fmt.Println(err)

	later := func() time.Time { return now().Add(2 * time.Hour) }
	v, _ = token.NewVerifier(token.VerifierConfig{Keys: []string{"primary", "secondary"}, Now: later})
	_, err = v.Verify(raw, token.Audience{Path: "/api/hubs/chat/users/a@b/:send"})
	fmt.Println(errors.Is(err, token.ErrExpired))
	// Output:
	// <nil>
	// true
}

func ExampleNewHMACAppVerifier() {
	now := func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	v, err := token.NewHMACAppVerifier(token.HMACAppConfig{Secret: "app-secret", Now: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	// An Issuer makes a convenient HS256 test token; its audience is
	// ignored because no Audience is configured.
	iss, _ := token.NewIssuer(token.IssuerConfig{Key: "app-secret", Now: now})
	raw, _ := iss.Issue("https://app.example/", map[string]any{"sub": "alice"}, time.Hour)

	claims, err := v.VerifyApp(context.Background(), raw)
	fmt.Println(claims.UserID(), err)
	// Output:
	// alice <nil>
}
