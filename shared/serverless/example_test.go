package serverless_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/heraldrt/herald/shared/serverless"
	"github.com/heraldrt/herald/shared/upstream"
)

func ExampleHub() {
	const accessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
	hub := serverless.NewHub([]string{accessKey})
	hub.On("echo", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		var text string
		if err := inv.Bind(&text); err != nil {
			return nil, err
		}
		return "echo: " + text, nil
	})
	hub.OnConnected(func(ctx context.Context, inv *serverless.InvocationContext) error {
		fmt.Println("connected:", inv.ConnectionID, inv.UserID)
		return nil
	})
	// In a program: http.ListenAndServe("127.0.0.1:7071", hub), with the
	// upstream URL template http://127.0.0.1:7071/runtime/webhooks/signalr.

	// What the service posts when the client calls connection.invoke("echo", "hi"):
	req := httptest.NewRequest(http.MethodPost, "/runtime/webhooks/signalr",
		strings.NewReader(`{"type":1,"invocationId":"1","target":"echo","arguments":["hi"]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-ASRS-Connection-Id", "conn-1")
	req.Header.Set("X-ASRS-Hub", "chat")
	req.Header.Set("X-ASRS-Category", "messages")
	req.Header.Set("X-ASRS-Event", "echo")
	req.Header.Set("X-ASRS-Signature", upstream.Signature("conn-1", []string{accessKey}))
	w := httptest.NewRecorder()
	hub.ServeHTTP(w, req)
	fmt.Printf("%d %q\n", w.Code, w.Body.String())
	// Output: 200 "{\"type\":3,\"invocationId\":\"1\",\"result\":\"echo: hi\"}\x1e"
}

func ExampleSender() {
	// A stand-in for Herald's REST API.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println(r.Method, r.URL.RequestURI(), string(body))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]

	sender, err := serverless.NewSender(serverless.SenderConfig{
		ConnectionString: "Endpoint=http://127.0.0.1;Port=" + port + ";AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;",
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := sender.SendToAll(ctx, "chat", "newMessage", "alice", "hello"); err != nil {
		log.Fatal(err)
	}
	if err := sender.AddToGroup(ctx, "chat", "conn-1", "room1"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// POST /api/hubs/chat/:send?api-version=2022-06-01 {"target":"newMessage","arguments":["alice","hello"]}
	// PUT /api/hubs/chat/connections/conn-1/groups/room1?api-version=2022-06-01
}
