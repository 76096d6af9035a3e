package lambdafn

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/lambdahttp"
)

// Run is the main of the named function inside Lambda: it reads the
// environment (config.Functions; unknown HERALD_* variables are logged), creates the function once for this execution environment
// and serves invocations from the Lambda Runtime API
// (AWS_LAMBDA_RUNTIME_API) until the process is stopped. It returns only
// when the configuration is unusable; the main then exits, which Lambda
// reports as a failed init with the logged reason.
func Run(name string) error {
	log := slog.New(lambdacontext.NewLogHandler()).With("function", name)
	var cfg config.Functions
	res, err := config.Load(&cfg, config.Production, config.Sources{Name: name, Environ: os.Environ()})
	if err != nil {
		log.Error("configuration", "err", err)
		return err
	}
	for _, w := range res.Warnings {
		log.Warn("configuration", "warning", w)
	}
	f, err := New(name, cfg, log)
	if err != nil {
		log.Error("start", "err", err)
		return err
	}
	// The process ends with its execution environment; the Redis client's
	// connections end with it.
	lambda.Start(lambdahttp.New(f.Handler, log))
	return f.Close() // not reached: lambda.Start exits the process on failure
}
