package mgmt

import (
	"context"
	"net/http"
	"net/url"
)

// The methods below mirror ServiceHubContext operations of the Management SDK, one REST call
// each, and return the raw response so tests can assert status codes and error codes.

// SendToAll posts target(args...) to every connection of hub except the excluded ones
// (POST /:send?excluded=...).
func (c *Client) SendToAll(ctx context.Context, hub, target string, args []any, excluded ...string) (*Response, error) {
	return c.Do(ctx, http.MethodPost, hub, "/:send", excludedQuery(excluded), &Message{Target: target, Arguments: args})
}

// SendToAllBinary posts a ready application/octet-stream body (see PayloadMap) to every
// connection of hub except the excluded ones, as the SDK does when the app configured
// its hub protocols.
func (c *Client) SendToAllBinary(ctx context.Context, hub string, body []byte, excluded ...string) (*Response, error) {
	return c.DoBody(ctx, http.MethodPost, hub, "/:send", excludedQuery(excluded), "application/octet-stream", body)
}

// SendToUserBinary posts a ready application/octet-stream body to every connection of
// user.
func (c *Client) SendToUserBinary(ctx context.Context, hub, user string, body []byte) (*Response, error) {
	return c.DoBody(ctx, http.MethodPost, hub, "/users/"+Escape(user)+"/:send", nil, "application/octet-stream", body)
}

// SendToUser posts target(args...) to every connection of user (POST /users/{user}/:send).
func (c *Client) SendToUser(ctx context.Context, hub, user, target string, args []any) (*Response, error) {
	return c.Do(ctx, http.MethodPost, hub, "/users/"+Escape(user)+"/:send", nil, &Message{Target: target, Arguments: args})
}

// SendToGroup posts target(args...) to the members of group except the excluded
// connections (POST /groups/{group}/:send?excluded=...).
func (c *Client) SendToGroup(ctx context.Context, hub, group, target string, args []any, excluded ...string) (*Response, error) {
	return c.Do(ctx, http.MethodPost, hub, "/groups/"+Escape(group)+"/:send", excludedQuery(excluded), &Message{Target: target, Arguments: args})
}

// SendToConnection posts target(args...) to one connection (POST /connections/{id}/:send).
func (c *Client) SendToConnection(ctx context.Context, hub, connectionID, target string, args []any) (*Response, error) {
	return c.Do(ctx, http.MethodPost, hub, "/connections/"+Escape(connectionID)+"/:send", nil, &Message{Target: target, Arguments: args})
}

// AddToGroup adds a connection to group (PUT /groups/{group}/connections/{id}).
func (c *Client) AddToGroup(ctx context.Context, hub, group, connectionID string) (*Response, error) {
	return c.Do(ctx, http.MethodPut, hub, "/groups/"+Escape(group)+"/connections/"+Escape(connectionID), nil, nil)
}

// RemoveFromGroup removes a connection from group (DELETE /groups/{group}/connections/{id}).
func (c *Client) RemoveFromGroup(ctx context.Context, hub, group, connectionID string) (*Response, error) {
	return c.Do(ctx, http.MethodDelete, hub, "/groups/"+Escape(group)+"/connections/"+Escape(connectionID), nil, nil)
}

// AddUserToGroup adds user's current and future connections to group
// (PUT /users/{user}/groups/{group}).
func (c *Client) AddUserToGroup(ctx context.Context, hub, user, group string) (*Response, error) {
	return c.Do(ctx, http.MethodPut, hub, "/users/"+Escape(user)+"/groups/"+Escape(group), nil, nil)
}

// RemoveUserFromGroup removes user from group (DELETE /users/{user}/groups/{group}).
func (c *Client) RemoveUserFromGroup(ctx context.Context, hub, user, group string) (*Response, error) {
	return c.Do(ctx, http.MethodDelete, hub, "/users/"+Escape(user)+"/groups/"+Escape(group), nil, nil)
}

// UserInGroup checks membership with GET /users/{user}/groups/{group}, as the SDK does
// (200, or 404 with x-ms-error-code Info.User.NotInGroup).
func (c *Client) UserInGroup(ctx context.Context, hub, user, group string) (*Response, error) {
	return c.Do(ctx, http.MethodGet, hub, "/users/"+Escape(user)+"/groups/"+Escape(group), nil, nil)
}

// ConnectionExists is HEAD /connections/{id} (404 code Warning.Connection.NotExisted).
func (c *Client) ConnectionExists(ctx context.Context, hub, connectionID string) (*Response, error) {
	return c.Do(ctx, http.MethodHead, hub, "/connections/"+Escape(connectionID), nil, nil)
}

// UserExists is HEAD /users/{user} (404 code Warning.User.NotExisted).
func (c *Client) UserExists(ctx context.Context, hub, user string) (*Response, error) {
	return c.Do(ctx, http.MethodHead, hub, "/users/"+Escape(user), nil, nil)
}

// GroupExists is HEAD /groups/{group} (404 code Warning.Group.NotExisted).
func (c *Client) GroupExists(ctx context.Context, hub, group string) (*Response, error) {
	return c.Do(ctx, http.MethodHead, hub, "/groups/"+Escape(group), nil, nil)
}

// CloseConnection is DELETE /connections/{id}?reason=..., with no reason parameter when
// reason is empty (the SDK omits a null reason).
func (c *Client) CloseConnection(ctx context.Context, hub, connectionID, reason string) (*Response, error) {
	var q url.Values
	if reason != "" {
		q = url.Values{"reason": {reason}}
	}
	return c.Do(ctx, http.MethodDelete, hub, "/connections/"+Escape(connectionID), q, nil)
}

func excludedQuery(excluded []string) url.Values {
	if len(excluded) == 0 {
		return nil
	}
	return url.Values{"excluded": excluded}
}
