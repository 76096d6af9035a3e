package redisbus

import (
	"embed"

	"github.com/redis/go-redis/v9"
)

// lua holds the scripts. Every state change of a hub, together with the
// envelope it delivers, is one script: Redis runs it atomically on the
// hub's slot, so subscribers see changes and messages in one order.
//
//go:embed lua/*.lua
var lua embed.FS

// Scripts, run with EVALSHA (EVAL once per server when not cached yet).
var (
	scriptRegister    = load("register")
	scriptUnregister  = load("unregister")
	scriptConnGroup   = load("conngroup")
	scriptAddUser     = load("adduser")
	scriptRemoveUser  = load("removeuser")
	scriptExpire      = load("expire")
	scriptUserInGroup = load("useringroup")
	scriptGroupPage   = load("grouppage")
	scriptReadd       = load("readd")
	scriptLocate      = load("locate")
	scriptDropNode    = load("dropnode")
	scriptBeat        = load("beat")
	scriptLive        = load("live")
	scriptClaim       = load("claim")
	scriptReaped      = load("reaped")
	scriptDue         = load("due")
	scriptBump        = load("bump")
	scriptResched     = load("resched")
	scriptQuota       = load("quota")
	scriptUnquota     = load("unquota")
	scriptNegotiate   = load("negotiate")
	scriptPublish     = load("publish")
	scriptRefresh     = load("refresh")
	scriptLastOut     = load("lastout")
	scriptDetach      = load("detach")
	scriptTakeOver    = load("takeover")
)

// load returns lua/<name>.lua with the shared prelude in front.
func load(name string) *redis.Script {
	prelude, err := lua.ReadFile("lua/prelude.lua")
	if err != nil {
		panic(err)
	}
	body, err := lua.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err)
	}
	return redis.NewScript(string(prelude) + "\n" + string(body))
}
