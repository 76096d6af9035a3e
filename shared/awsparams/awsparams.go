// Package awsparams reads Secrets Manager secrets and SSM Parameter Store
// parameters with the AWS SDK for Go v2, in a Lambda function or an ECS
// task alike: credentials and region come from the environment (Lambda and
// ECS set them), and the SDK honours AWS_ENDPOINT_URL (and the
// service-specific AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SSM),
// so a local emulator such as moto can stand in for AWS.
//
// It replaced the AWS Parameters and Secrets Lambda Extension, whose layer
// ARN differs per region and which answers only during invocations.
package awsparams

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// ErrUnavailable wraps every failure to read a value.
var ErrUnavailable = errors.New("awsparams: value unavailable")

// DefaultTimeout bounds one read unless Config.Timeout says otherwise.
const DefaultTimeout = 5 * time.Second

// Client reads secrets and parameters. It is safe for concurrent use.
type Client struct {
	sm      *secretsmanager.Client
	ssm     *ssm.Client
	timeout time.Duration
}

// Config configures a Client.
type Config struct {
	// AWS is the SDK configuration. Default: config.LoadDefaultConfig
	// (the environment: AWS_REGION, credentials, AWS_ENDPOINT_URL, ...).
	AWS *aws.Config
	// Timeout bounds one read, retries included. Default DefaultTimeout.
	Timeout time.Duration
}

// New returns a Client for cfg. Loading the default configuration reads
// the environment and files only; no AWS call is made before a read.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	var ac aws.Config
	if cfg.AWS != nil {
		ac = *cfg.AWS
	} else {
		var err error
		if ac, err = awsconfig.LoadDefaultConfig(ctx); err != nil {
			return nil, fmt.Errorf("%w: AWS configuration: %w", ErrUnavailable, err)
		}
	}
	if ac.Region == "" {
		return nil, fmt.Errorf("%w: no AWS region (set AWS_REGION; Lambda and ECS set it)", ErrUnavailable)
	}
	return &Client{sm: secretsmanager.NewFromConfig(ac), ssm: ssm.NewFromConfig(ac), timeout: cfg.Timeout}, nil
}

// Secret returns the SecretString of the secret id (name or ARN).
func (c *Client) Secret(ctx context.Context, id string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	out, err := c.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return "", fmt.Errorf("%w: secret %s: %w", ErrUnavailable, id, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("%w: secret %s has no SecretString (binary secrets are not supported)", ErrUnavailable, id)
	}
	return *out.SecretString, nil
}

// Parameter returns the (decrypted) value of the parameter name.
func (c *Client) Parameter(ctx context.Context, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	out, err := c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("%w: parameter %s: %w", ErrUnavailable, name, err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("%w: parameter %s: answer without a value", ErrUnavailable, name)
	}
	return *out.Parameter.Value, nil
}
