package conninfo_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/heraldrt/herald/shared/conninfo"
	"github.com/heraldrt/herald/shared/connstr"
)

func ExampleBinding_ConnectionInfo() {
	cs, err := connstr.Parse("Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := conninfo.New(conninfo.Config{ConnectionString: cs})
	if err != nil {
		fmt.Println(err)
		return
	}

	// In a negotiate handler: authenticate the caller, then answer with
	// json.NewEncoder(w).Encode(info).
	info, err := b.ConnectionInfo(conninfo.Request{Hub: "Chat", UserID: "alice"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.URL)
	fmt.Println(strings.Count(info.AccessToken, "."), "dots")

	info.AccessToken = "JWT"
	_ = json.NewEncoder(os.Stdout).Encode(info)
	// Output:
	// http://localhost:8888/client/?hub=chat
	// 2 dots
	// {"url":"http://localhost:8888/client/?hub=chat","accessToken":"JWT"}
}
