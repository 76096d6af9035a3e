// Package connstr parses Azure SignalR Service connection strings and derives
// the base URLs that the Azure SDKs build from them.
//
// A connection string is a list of key=value properties separated by ';', for
// example the one the Azure SignalR local emulator prints:
//
//	Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;
//
// [Parse] applies the rules of the Azure SDK parser (keys are case-insensitive,
// values are trimmed, a key may appear once). The methods of
// [ConnectionString] then give the three bases an SDK derives: where clients
// connect ([ConnectionString.ClientBase]), where REST calls go
// ([ConnectionString.ServerBase]) and the base of every token audience
// ([ConnectionString.AudienceBase]), which drops the port.
//
// The rules are described in docs/compat/connection-string.md (format,
// properties, derived URLs and the audience base).
package connstr
