package serverless

// Message is a message to send, the Go form of the Functions output
// binding's SignalRMessage. The recipients are chosen by precedence:
// ConnectionID, else UserID, else GroupName, else every client of the hub.
type Message struct {
	// Target is the client method to invoke. Required.
	Target string `json:"target"`
	// Arguments are its arguments, marshalled with encoding/json. Nil
	// sends none.
	Arguments []any `json:"arguments"`
	// ConnectionID sends to one connection.
	ConnectionID string `json:"connectionId,omitempty"`
	// UserID sends to every connection of a user.
	UserID string `json:"userId,omitempty"`
	// GroupName sends to every connection in a group.
	GroupName string `json:"groupName,omitempty"`
}

// Group actions of GroupAction.Action, the values of the Functions binding
// (compared case-insensitively).
const (
	ActionAdd       = "add"
	ActionRemove    = "remove"
	ActionRemoveAll = "removeAll"
)

// GroupAction changes group membership, the Go form of the Functions output
// binding's SignalRGroupAction. Exactly one of ConnectionID and UserID
// names who it applies to.
type GroupAction struct {
	// Action is ActionAdd, ActionRemove or ActionRemoveAll. Required.
	Action string `json:"action"`
	// GroupName is the group; required except for ActionRemoveAll, which
	// removes from every group.
	GroupName string `json:"groupName,omitempty"`
	// ConnectionID applies the action to one connection.
	ConnectionID string `json:"connectionId,omitempty"`
	// UserID applies the action to every connection of a user, present
	// and future.
	UserID string `json:"userId,omitempty"`
}
