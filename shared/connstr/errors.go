package connstr

import "errors"

// ErrMalformed is wrapped by every error [Parse] returns. The wrapping error
// names the offending key but never repeats a value, so it may be logged even
// when the connection string carries an AccessKey.
var ErrMalformed = errors.New("connstr: malformed connection string")
